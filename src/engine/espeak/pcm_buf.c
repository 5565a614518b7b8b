#include "engine/espeak/pcm_buf.h"

#include <stdlib.h>
#include <string.h>

static int reserve(pcm_buf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra)
        cap *= 2;
    int16_t *d = realloc(b->data, cap * sizeof *d);
    if (!d)
        return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

int pcm_buf_append(pcm_buf *b, const int16_t *pcm, size_t n)
{
    if (reserve(b, n))
        return -1;
    memcpy(b->data + b->len, pcm, n * sizeof *pcm);
    b->len += n;
    return 0;
}

int pcm_buf_append_silence(pcm_buf *b, size_t n)
{
    if (reserve(b, n))
        return -1;
    memset(b->data + b->len, 0, n * sizeof *b->data);
    b->len += n;
    return 0;
}

void pcm_buf_free(pcm_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
