#include "text/bpe_bytelevel.h"

#include "common/utf8.h"

/* The 68 bytes that are not written as themselves, in byte order:
 * 0x00..0x20 (33), 0x7F..0xA0 (34) and 0xAD; the n-th is U+0100 + n. */
uint32_t bpe_bytelevel_char(uint8_t b)
{
    if (b <= 0x20) return 0x100u + b;
    if (b >= 0x7F && b <= 0xA0) return 0x100u + 33 + (b - 0x7Fu);
    if (b == 0xAD) return 0x100u + 67;
    return b;
}

/* The byte a character of the alphabet stands for, or -1. */
static int char_byte(uint32_t cp)
{
    if (cp < 0x100) return (cp > 0x20 && cp < 0x7F) || (cp > 0xA0 && cp != 0xAD) ? (int)cp : -1;
    uint32_t n = cp - 0x100;
    if (n < 33) return (int)n;
    if (n < 67) return (int)(0x7F + n - 33);
    return n == 67 ? 0xAD : -1;
}

bool bpe_bytelevel_decode(const char *s, size_t len, uint8_t *out, size_t *out_len)
{
    if (!utf8_valid(s, len)) return false;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += (size_t)utf8_decode(s + i, len - i, &cp);
        int b = char_byte(cp);
        if (b < 0) return false;
        out[o++] = (uint8_t)b;
    }
    *out_len = o;
    return true;
}
