#include "nn/stft.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct nn_stft {
    int n_fft, hop, bins;
    bool center;
    float *window;
    fftwf_plan fwd, inv; /* planned on fftwf_malloc'd buffers (alignment) */
};

static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

void nn_hann_window(float *w, int n, bool periodic)
{
    int denom = periodic ? n : n - 1;
    for (int i = 0; i < n; i++)
        w[i] = denom > 0 ? (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / denom)) : 1.0f;
}

nn_stft *nn_stft_new(int n_fft, int hop, const float *window, bool center)
{
    if (n_fft < 2 || hop < 1) return NULL;
    nn_stft *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->n_fft = n_fft;
    s->hop = hop;
    s->bins = n_fft / 2 + 1;
    s->center = center;
    s->window = malloc((size_t)n_fft * sizeof(float));
    float *rbuf = fftwf_malloc((size_t)n_fft * sizeof(float));
    fftwf_complex *cbuf = fftwf_malloc((size_t)s->bins * sizeof(fftwf_complex));
    if (s->window && rbuf && cbuf) {
        if (window) memcpy(s->window, window, (size_t)n_fft * sizeof(float));
        else nn_hann_window(s->window, n_fft, true);
        pthread_mutex_lock(&planner_lock);
        s->fwd = fftwf_plan_dft_r2c_1d(n_fft, rbuf, cbuf, FFTW_ESTIMATE);
        s->inv = fftwf_plan_dft_c2r_1d(n_fft, cbuf, rbuf, FFTW_ESTIMATE);
        pthread_mutex_unlock(&planner_lock);
    }
    fftwf_free(rbuf);
    fftwf_free(cbuf);
    if (!s->fwd || !s->inv) {
        nn_stft_free(s);
        return NULL;
    }
    return s;
}

void nn_stft_free(nn_stft *s)
{
    if (!s) return;
    pthread_mutex_lock(&planner_lock);
    if (s->fwd) fftwf_destroy_plan(s->fwd);
    if (s->inv) fftwf_destroy_plan(s->inv);
    pthread_mutex_unlock(&planner_lock);
    free(s->window);
    free(s);
}

int nn_stft_bins(const nn_stft *s) { return s->bins; }

int nn_stft_frames(const nn_stft *s, int n)
{
    if (s->center) return n > s->n_fft / 2 ? n / s->hop + 1 : 0;
    return n >= s->n_fft ? (n - s->n_fft) / s->hop + 1 : 0;
}

int nn_istft_length(const nn_stft *s, int frames)
{
    if (frames <= 0) return 0;
    return s->center ? s->hop * (frames - 1) : s->n_fft + s->hop * (frames - 1);
}

/* Sample i of the (possibly reflect-padded) signal. */
static inline float padded_at(const float *x, int n, int pad, int i)
{
    int j = i - pad;
    if (j < 0) j = -j;
    if (j >= n) j = 2 * (n - 1) - j;
    return x[j];
}

bool nn_stft_forward(const nn_stft *s, const float *x, int n, float *re, float *im)
{
    const int frames = nn_stft_frames(s, n);
    if (frames <= 0) return false;
    const int N = s->n_fft, pad = s->center ? N / 2 : 0;
    float *buf = fftwf_malloc((size_t)N * sizeof(float));
    fftwf_complex *spec = fftwf_malloc((size_t)s->bins * sizeof(fftwf_complex));
    if (!buf || !spec) {
        fftwf_free(buf);
        fftwf_free(spec);
        return false;
    }
    for (int f = 0; f < frames; f++) {
        int start = f * s->hop;
        for (int i = 0; i < N; i++) buf[i] = padded_at(x, n, pad, start + i) * s->window[i];
        fftwf_execute_dft_r2c(s->fwd, buf, spec);
        for (int b = 0; b < s->bins; b++) {
            re[(size_t)b * frames + f] = spec[b][0];
            im[(size_t)b * frames + f] = spec[b][1];
        }
    }
    fftwf_free(buf);
    fftwf_free(spec);
    return true;
}

bool nn_stft_inverse(const nn_stft *s, const float *re, const float *im, int frames,
                     float *out)
{
    if (frames <= 0) return false;
    const int N = s->n_fft, hop = s->hop;
    const int full = N + hop * (frames - 1), pad = s->center ? N / 2 : 0;
    const int len = nn_istft_length(s, frames);
    float *buf = fftwf_malloc((size_t)N * sizeof(float));
    fftwf_complex *spec = fftwf_malloc((size_t)s->bins * sizeof(fftwf_complex));
    float *acc = calloc((size_t)full, sizeof(float));
    float *env = calloc((size_t)full, sizeof(float));
    bool ok = buf && spec && acc && env;
    for (int f = 0; ok && f < frames; f++) {
        for (int b = 0; b < s->bins; b++) {
            spec[b][0] = re[(size_t)b * frames + f];
            spec[b][1] = im[(size_t)b * frames + f];
        }
        spec[0][1] = 0.0f;
        if (N % 2 == 0) spec[s->bins - 1][1] = 0.0f;
        fftwf_execute_dft_c2r(s->inv, spec, buf);
        float *a = acc + (size_t)f * hop, *e = env + (size_t)f * hop;
        for (int i = 0; i < N; i++) {
            a[i] += buf[i] * (1.0f / (float)N) * s->window[i];
            e[i] += s->window[i] * s->window[i];
        }
    }
    for (int i = 0; ok && i < len; i++) {
        float e = env[pad + i];
        /* torch.istft rejects such input; keep the output finite instead */
        out[i] = fabsf(e) > 1e-11f ? acc[pad + i] / e : 0.0f;
    }
    fftwf_free(buf);
    fftwf_free(spec);
    free(acc);
    free(env);
    return ok;
}
