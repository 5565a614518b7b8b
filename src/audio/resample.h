/* Sample-rate conversion with libsoxr (high quality), for whole buffers.
 * Used by the client (prompt recordings to 16 kHz) and by engines whose
 * native rate differs from their output rate. */
#ifndef CV_RESAMPLE_H
#define CV_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

/* Resamples n float samples from rate_in to rate_out. Returns a malloc'ed
 * buffer and its length in *n_out, or NULL on error. */
float *resample_float(const float *in, size_t n, double rate_in, double rate_out, size_t *n_out);

/* Same for s16 samples (rounded and clipped). */
int16_t *resample_s16(const int16_t *in, size_t n, double rate_in, double rate_out,
                      size_t *n_out);

#endif
