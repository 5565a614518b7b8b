/* A growable buffer of s16 samples: where a back end collects one segment's
 * audio before it is post-processed and written to the sink. */
#ifndef CV_ESPEAK_PCM_BUF_H
#define CV_ESPEAK_PCM_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct pcm_buf {
    int16_t *data;
    size_t len, cap;
} pcm_buf;

/* Returns 0, or -1 when out of memory (the buffer is left unchanged). */
int pcm_buf_append(pcm_buf *b, const int16_t *pcm, size_t n);
int pcm_buf_append_silence(pcm_buf *b, size_t n);
void pcm_buf_free(pcm_buf *b);

/* Scales samples by gain_db; peaks above ~80% of full scale are bent
 * smoothly toward full scale (tanh knee) instead of hard clipping. */
void pcm_apply_gain(int16_t *pcm, size_t n, float gain_db);

#endif
