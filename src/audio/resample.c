#include "audio/resample.h"

#include <math.h>
#include <soxr.h>
#include <stdlib.h>
#include <string.h>

float *resample_float(const float *in, size_t n, double rate_in, double rate_out, size_t *n_out)
{
    size_t cap = (size_t)ceil((double)n * rate_out / rate_in) + 16;
    float *out = malloc(cap * sizeof *out);
    if (!out)
        return NULL;
    if (rate_in == rate_out) {
        memcpy(out, in, n * sizeof *out);
        *n_out = n;
        return out;
    }
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    size_t done = 0;
    soxr_error_t err = soxr_oneshot(rate_in, rate_out, 1, in, n, NULL, out, cap, &done, &io, &q,
                                    NULL);
    if (err) {
        free(out);
        return NULL;
    }
    *n_out = done;
    return out;
}

int16_t *resample_s16(const int16_t *in, size_t n, double rate_in, double rate_out,
                      size_t *n_out)
{
    float *f = malloc((n ? n : 1) * sizeof *f);
    if (!f)
        return NULL;
    for (size_t i = 0; i < n; i++)
        f[i] = in[i] / 32768.0f;
    size_t m;
    float *g = resample_float(f, n, rate_in, rate_out, &m);
    free(f);
    if (!g)
        return NULL;
    int16_t *out = malloc((m ? m : 1) * sizeof *out);
    if (out) {
        for (size_t i = 0; i < m; i++) {
            float v = g[i] * 32768.0f;
            out[i] = (int16_t)(v > 32767.f ? 32767 : v < -32768.f ? -32768 : lrintf(v));
        }
        *n_out = m;
    }
    free(g);
    return out;
}
