#include "text/bpe_bytelevel.h"

#include "common/utf8.h"

static bool printable(unsigned b)
{
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

uint32_t bpe_bytelevel_char(uint8_t b)
{
    if (printable(b)) return b;
    /* the n-th non-printable byte (in byte order) is U+0100 + n */
    uint32_t n = 0;
    for (unsigned k = 0; k < b; k++) n += !printable(k);
    return 0x100 + n;
}

/* Inverse of bpe_bytelevel_char for the 68 characters U+0100..U+0143. */
static int high_char_byte(uint32_t cp)
{
    static int16_t table[68];
    static bool ready; /* filled on first use; the values never change, so a
                          racing second fill writes the same bytes */
    if (!ready) {
        for (unsigned b = 0; b < 256; b++)
            if (!printable(b)) table[bpe_bytelevel_char((uint8_t)b) - 0x100] = (int16_t)b;
        ready = true;
    }
    return cp >= 0x100 && cp < 0x100 + 68 ? table[cp - 0x100] : -1;
}

bool bpe_bytelevel_decode(const char *s, size_t len, uint8_t *out, size_t *out_len)
{
    if (!utf8_valid(s, len)) return false;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += (size_t)utf8_decode(s + i, len - i, &cp);
        int b = cp < 0x100 ? (printable(cp) ? (int)cp : -1) : high_char_byte(cp);
        if (b < 0) return false;
        out[o++] = (uint8_t)b;
    }
    *out_len = o;
    return true;
}
