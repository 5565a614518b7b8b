#include "text/tstream.h"

#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

bool ts_push(tstream *s, uint32_t cp, uint16_t attr)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        uint32_t *c = realloc(s->cp, cap * sizeof *c);
        if (!c) return false;
        s->cp = c;
        uint16_t *a = realloc(s->attr, cap * sizeof *a);
        if (!a) return false;
        s->attr = a;
        s->cap = cap;
    }
    s->cp[s->n] = cp;
    s->attr[s->n] = attr;
    s->n++;
    return true;
}

bool ts_push_str(tstream *s, const char *utf8, uint16_t attr)
{
    size_t len = strlen(utf8);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += (size_t)utf8_decode(utf8 + i, len - i, &cp);
        if (!ts_push(s, cp, attr)) return false;
    }
    return true;
}

void ts_free(tstream *s)
{
    free(s->cp);
    free(s->attr);
    memset(s, 0, sizeof *s);
}

char *ts_to_utf8(const tstream *s, size_t lo, size_t hi)
{
    char *out = malloc((hi - lo) * 4 + 1);
    if (!out) return NULL;
    size_t k = 0;
    for (size_t i = lo; i < hi; i++) k += (size_t)utf8_encode(s->cp[i], out + k);
    out[k] = '\0';
    return out;
}
