/* Windowed-sinc resampler (torchaudio's _get_sinc_resample_kernel and
 * _apply_sinc_resample_kernel, re-derived): for output phase i (0..new-1)
 * the kernel taps are at input offsets j - width, j in [0, 2*width + orig),
 * relative to the block start k*orig of output block k. */
#include "audio/sinc_resample.h"

#include <math.h>
#include <stdlib.h>

#define LOWPASS_WIDTH 6.0
#define ROLLOFF 0.99

struct sinc_resampler {
    int orig, new_rate; /* gcd-reduced */
    int width;          /* zero padding on the left (and width + orig on the right) */
    int taps;           /* 2 * width + orig */
    float *kernel;      /* [new_rate][taps] */
};

static int gcd(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

sinc_resampler *sinc_resampler_new(int orig_rate, int new_rate)
{
    if (orig_rate <= 0 || new_rate <= 0) return NULL;
    sinc_resampler *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    int g = gcd(orig_rate, new_rate);
    r->orig = orig_rate / g;
    r->new_rate = new_rate / g;
    const double base = (r->orig < r->new_rate ? r->orig : r->new_rate) * ROLLOFF;
    r->width = (int)ceil(LOWPASS_WIDTH * r->orig / base);
    r->taps = 2 * r->width + r->orig;
    r->kernel = malloc(sizeof(float) * (size_t)r->new_rate * (size_t)r->taps);
    if (!r->kernel) {
        free(r);
        return NULL;
    }
    const double scale = base / r->orig;
    for (int i = 0; i < r->new_rate; i++) {
        for (int j = 0; j < r->taps; j++) {
            /* time of tap j for phase i, in units of the low-pass period */
            double t = (-(double)i / r->new_rate + (double)(j - r->width) / r->orig) * base;
            if (t < -LOWPASS_WIDTH) t = -LOWPASS_WIDTH;
            if (t > LOWPASS_WIDTH) t = LOWPASS_WIDTH;
            double w = cos(t * M_PI / LOWPASS_WIDTH / 2);
            w *= w;
            double tp = t * M_PI;
            double s = tp == 0.0 ? 1.0 : sin(tp) / tp;
            r->kernel[(size_t)i * r->taps + j] = (float)(s * w * scale);
        }
    }
    return r;
}

void sinc_resampler_free(sinc_resampler *r)
{
    if (!r) return;
    free(r->kernel);
    free(r);
}

size_t sinc_resampler_out_len(const sinc_resampler *r, size_t n)
{
    /* ceil(new * n / orig) in integers */
    return (size_t)(((unsigned long long)r->new_rate * n + (unsigned)r->orig - 1) /
                    (unsigned)r->orig);
}

int sinc_resampler_run(const sinc_resampler *r, const float *in, size_t n, float *out)
{
    const size_t out_len = sinc_resampler_out_len(r, n);
    if (out_len == 0) return 0;
    /* padded input: width zeros, the signal, width + orig zeros */
    const size_t plen = n + 2 * (size_t)r->width + (size_t)r->orig;
    float *p = calloc(plen, sizeof(float));
    if (!p) return -1;
    for (size_t i = 0; i < n; i++) p[r->width + i] = in[i];
    for (size_t o = 0; o < out_len; o++) {
        const size_t blk = o / (size_t)r->new_rate;
        const int phase = (int)(o % (size_t)r->new_rate);
        const float *x = p + blk * (size_t)r->orig;
        const float *k = r->kernel + (size_t)phase * r->taps;
        float acc = 0.0f;
        for (int j = 0; j < r->taps; j++) acc += k[j] * x[j];
        out[o] = acc;
    }
    free(p);
    return 0;
}
