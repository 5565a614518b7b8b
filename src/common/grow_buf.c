/* See grow_buf.h. */
#include "common/grow_buf.h"

#include <stdlib.h>
#include <string.h>

bool grow_buf_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (n > (size_t)-1 / 4 - *len) return false; /* the doubling below would overflow */
    size_t need = *len + n + 1;
    if (need > *cap) {
        size_t c = *cap ? *cap : 64;
        while (c < need) c *= 2;
        char *p = realloc(*buf, c);
        if (!p) return false;
        *buf = p;
        *cap = c;
    }
    if (n) memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return true;
}
