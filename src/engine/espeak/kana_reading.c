#include "engine/espeak/kana_reading.h"

#include <errno.h>
#include <iconv.h>
#include <libkakasi.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

/* KAKASI keeps its options and dictionary in globals, and its library
 * interface works in EUC-JP only (UTF-8 is a feature of the command-line
 * tool), so text is converted with iconv on the way in and out. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static bool g_ready, g_ok;

bool text_has_han(const char *s)
{
    size_t len = strlen(s), i = 0;
    while (i < len) {
        uint32_t cp;
        int k = utf8_decode(s + i, len - i, &cp);
        if (k <= 0)
            return false;
        if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF))
            return true;
        i += (size_t)k;
    }
    return false;
}

/* Converts with iconv; characters the target cannot hold are dropped.
 * Returns a malloc'ed NUL-terminated string, or NULL. */
static char *convert(const char *to, const char *from, const char *s)
{
    iconv_t cd = iconv_open(to, from);
    if (cd == (iconv_t)-1)
        return NULL;
    size_t in_left = strlen(s), cap = in_left * 2 + 16, out_left = cap - 1;
    char *out = malloc(cap), *op = out, *ip = (char *)s;
    while (out && in_left > 0) {
        if (iconv(cd, &ip, &in_left, &op, &out_left) != (size_t)-1)
            break;
        if (errno == EILSEQ || errno == EINVAL) {
            /* Skip one character: a byte plus any UTF-8 continuation bytes. */
            size_t k = 1;
            while (k < in_left && ((unsigned char)ip[k] & 0xC0) == 0x80)
                k++;
            ip += k;
            in_left -= k;
        } else {
            break; /* E2BIG cannot happen with cap = 2 * input */
        }
    }
    iconv_close(cd);
    if (out)
        *op = '\0';
    return out;
}

char *kana_reading(const char *s)
{
    pthread_mutex_lock(&g_lock);
    if (!g_ready) {
        /* -JH: kanji to hiragana; everything else passes through. */
        char *argv[] = {"kakasi", "-JH", NULL};
        g_ok = kakasi_getopt_argv(2, argv) == 0;
        g_ready = true;
    }
    char *out = NULL;
    if (g_ok) {
        char *in = convert("EUC-JP", "UTF-8", s);
        char *r = in ? kakasi_do(in) : NULL;
        if (r) {
            out = convert("UTF-8", "EUC-JP", r);
            kakasi_free(r);
        }
        free(in);
    }
    pthread_mutex_unlock(&g_lock);
    return out;
}
