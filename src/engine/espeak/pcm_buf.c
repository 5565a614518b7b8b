#include "engine/espeak/pcm_buf.h"

#include <math.h>
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

void pcm_apply_gain(int16_t *pcm, size_t n, float gain_db)
{
    if (gain_db == 0.0f)
        return;
    const float k = powf(10.0f, gain_db / 20.0f), knee = 0.8f * 32767.0f;
    for (size_t i = 0; i < n; i++) {
        float v = pcm[i] * k, a = fabsf(v);
        if (a > knee)
            a = knee + (32767.0f - knee) * tanhf((a - knee) / (32767.0f - knee));
        pcm[i] = (int16_t)lrintf(v < 0 ? -a : a);
    }
}
