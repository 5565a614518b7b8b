#include "common/base64.h"

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

bool cv_base64_decode(const char *in, size_t n, uint8_t *out, size_t *out_len)
{
    /* Padding is optional but, when present, must complete a 4-char group. */
    size_t pad = 0;
    while (pad < 2 && n > pad && in[n - 1 - pad] == '=') pad++;
    if (pad && n % 4 != 0) return false;
    size_t data = n - pad;
    if (data % 4 == 1) return false; /* 6 bits cannot make a byte */

    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < data; i++) {
        int v = b64_value((unsigned char)in[i]);
        if (v < 0) return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) return false; /* non-canonical: leftover bits must be zero */
    *out_len = o;
    return true;
}

void cv_base64_encode(const uint8_t *in, size_t n, char *out)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t j = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[j++] = alphabet[v >> 18 & 63];
        out[j++] = alphabet[v >> 12 & 63];
        out[j++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
        out[j++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    out[j] = '\0';
}
