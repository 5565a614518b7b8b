#include "nn/conv_fft.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"
#include "nn/matmul.h"
#include "nn/parallel.h"
#include "nn/scratch.h"

/* Input spectra of at most this many floats are held at once (blocks are
 * processed in chunks), enough for each per-bin product to be a GEMM
 * the library runs efficiently. */
#define SPECTRA_BUDGET_FLOATS (4u << 20)
#define MIN_BLOCKS_PER_CHUNK 64

static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic bool fft_enabled = true;

void nn_conv1d_set_fft(bool enabled) { fft_enabled = enabled; }

static int span(const nn_conv1d_params *p) { return p->dilation * (p->kernel - 1) + 1; }

int nn_conv1d_fft_size(const nn_conv1d_params *p, int T)
{
    if (!fft_enabled || p->stride != 1 || p->groups != 1 || p->kernel < 5) return 0;
    const int S = span(p), Tout = nn_conv1d_out_len(p, T);
    /* the transforms cost per channel, the products per channel pair: only
     * wide convolutions amortise them */
    if (p->cin < 64 || p->cout < 64 || Tout < 256) return 0;
    /* N ~ 4 x span balances product count against transform size (measured
     * on the vocoder's convolutions) */
    int n = 32;
    while (n < 4 * S) n *= 2;
    if (n > 1024) return 0;
    const int B = (n - S + 1) & ~7;
    /* complex products cost 4 real multiply-adds per bin; require at most
     * half the direct method's work to make up for the transforms */
    double ratio = 4.0 * (n / 2 + 1) / ((double)p->kernel * B);
    return ratio <= 0.5 ? n : 0;
}

/* fwd: nbc overlapping blocks (hop B) of one padded channel -> spectra
 * [block][bin]; inv: spectra [block][bin] -> nbc frames of N samples.
 * Contiguous batches: FFTW is much slower writing at large strides, so the
 * bin-major layout the GEMMs want is made by a separate transposition. */
static void make_plans(int N, int B, int nbc, int bstride, float *xp, fftwf_complex *spec,
                       float *frames, fftwf_plan *fwd, fftwf_plan *inv)
{
    pthread_mutex_lock(&planner_lock);
    *fwd = fftwf_plan_many_dft_r2c(1, &N, nbc, xp, NULL, 1, B, spec, NULL, 1, bstride,
                                   FFTW_ESTIMATE | FFTW_PRESERVE_INPUT);
    *inv = fftwf_plan_many_dft_c2r(1, &N, nbc, spec, NULL, 1, bstride, frames, NULL, 1, N,
                                   FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
    pthread_mutex_unlock(&planner_lock);
}

static void destroy_plans(fftwf_plan *fwd, fftwf_plan *inv)
{
    pthread_mutex_lock(&planner_lock);
    if (*fwd) fftwf_destroy_plan(*fwd);
    if (*inv) fftwf_destroy_plan(*inv);
    pthread_mutex_unlock(&planner_lock);
    *fwd = *inv = NULL;
}

/* Shared state of one call, for the per-channel loops run in parallel.
 * Spectra are kept in planar form per bin, real parts above imaginary
 * parts, so the complex channel mixing of a bin is one real GEMM:
 * [Yr; Yi] = [[Wr, -Wi], [Wi, Wr]] [Xr; Xi]. */
typedef struct fft_job {
    const nn_conv1d_params *p;
    const float *x, *b;
    float *y;
    int T, Tout, N, B, bins, bstride;
    int b0, nbc; /* current chunk of blocks */
    fftwf_plan fwd, inv;
    bool acc; /* y += instead of y = */
    float *X; /* [bins][2][Cin][nbc] */
    float *Y; /* [bins][2][Cout][nbc] */
    float *W; /* [bins][2 Cout][2 Cin] */
    bool failed;
} fft_job;

/* Bins [f0, f1): Y[f] = W[f] X[f]. */
static void mix_bins(void *ctx, int f0, int f1)
{
    const fft_job *j = ctx;
    const int Cin = j->p->cin, Cout = j->p->cout, nbc = j->nbc;
    for (int f = f0; f < f1; f++)
        nn_backend_sgemm(false, false, 2 * Cout, nbc, 2 * Cin, 1.0f,
                         j->W + (size_t)f * 4 * Cout * Cin, 2 * Cin,
                         j->X + (size_t)f * 2 * Cin * nbc, nbc, 0.0f,
                         j->Y + (size_t)f * 2 * Cout * nbc, nbc);
}

/* Input channels [c0, c1): transform the chunk's blocks, store X[bin][re|im][ci][block]. */
static void forward_channels(void *ctx, int c0, int c1)
{
    fft_job *j = ctx;
    const int N = j->N, B = j->B, bins = j->bins, bs = j->bstride, nbc = j->nbc, T = j->T;
    const int len = (nbc - 1) * B + N, start = j->b0 * B - j->p->pad_left;
    float *xp = fftwf_malloc(sizeof(float) * len);
    fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * (size_t)bs * nbc);
    if (!xp || !spec) {
        j->failed = true;
        c1 = c0;
    }
    for (int ci = c0; ci < c1; ci++) {
        const float *xr = j->x + (size_t)ci * T;
        int lo = start < 0 ? -start : 0, hi = T - start < len ? T - start : len;
        if (hi < lo) hi = lo;
        if (lo > len) lo = hi = len;
        memset(xp, 0, sizeof(float) * lo); /* zero padding around the signal */
        if (hi > lo) memcpy(xp + lo, xr + start + lo, sizeof(float) * (hi - lo));
        memset(xp + hi, 0, sizeof(float) * (len - hi));
        fftwf_execute_dft_r2c(j->fwd, xp, spec);
        /* [block][bin] -> X[bin][re|im][ci][block], 8 bins at a time */
        const size_t plane = (size_t)j->p->cin * nbc, rs = 2 * plane;
        for (int f0 = 0; f0 < bins; f0 += 8) {
            const int f1 = f0 + 8 < bins ? f0 + 8 : bins;
            float *dst = j->X + (size_t)f0 * rs + (size_t)ci * nbc;
            for (int bb = 0; bb < nbc; bb++) {
                const fftwf_complex *src = spec + (size_t)bb * bs;
                for (int f = f0; f < f1; f++) {
                    dst[(size_t)(f - f0) * rs + bb] = src[f][0];
                    dst[(size_t)(f - f0) * rs + plane + bb] = src[f][1];
                }
            }
        }
    }
    fftwf_free(xp);
    fftwf_free(spec);
}

/* Output channels [c0, c1): inverse transforms of Y, valid samples to y. */
static void inverse_channels(void *ctx, int c0, int c1)
{
    fft_job *j = ctx;
    const int N = j->N, B = j->B, bins = j->bins, bs = j->bstride, nbc = j->nbc;
    const float inv_n = 1.0f / (float)N;
    float *frames = fftwf_malloc(sizeof(float) * (size_t)N * nbc);
    fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * (size_t)bs * nbc);
    if (!frames || !spec) {
        j->failed = true;
        c1 = c0;
    }
    for (int co = c0; co < c1; co++) {
        /* Y[bin][re|im][co][block] -> [block][bin], 8 bins at a time */
        const size_t plane = (size_t)j->p->cout * nbc, rs = 2 * plane;
        for (int f0 = 0; f0 < bins; f0 += 8) {
            const int f1 = f0 + 8 < bins ? f0 + 8 : bins;
            const float *src = j->Y + (size_t)f0 * rs + (size_t)co * nbc;
            for (int bb = 0; bb < nbc; bb++) {
                fftwf_complex *dst = spec + (size_t)bb * bs;
                for (int f = f0; f < f1; f++) {
                    dst[f][0] = src[(size_t)(f - f0) * rs + bb];
                    dst[f][1] = src[(size_t)(f - f0) * rs + plane + bb];
                }
            }
        }
        for (int bb = 0; bb < nbc; bb++) { /* real signal: DC and Nyquist are real */
            spec[(size_t)bb * bs][1] = 0.0f;
            spec[(size_t)bb * bs + bins - 1][1] = 0.0f;
        }
        fftwf_execute_dft_c2r(j->inv, spec, frames);
        float *yr = j->y + (size_t)co * j->Tout;
        const float bias = j->b ? j->b[co] : 0.0f;
        for (int bb = 0; bb < nbc; bb++) { /* the first B samples of a block are valid */
            int t0 = (j->b0 + bb) * B, n = j->Tout - t0 < B ? j->Tout - t0 : B;
            const float *fr = frames + (size_t)bb * N;
            if (j->acc)
                for (int t = 0; t < n; t++) yr[t0 + t] += fr[t] * inv_n + bias;
            else
                for (int t = 0; t < n; t++) yr[t0 + t] = fr[t] * inv_n + bias;
        }
    }
    fftwf_free(frames);
    fftwf_free(spec);
}

bool nn_conv1d_fft(const nn_conv1d_params *p, const float *x, int T, const float *w,
                   const float *b, float *y, int N)
{
    return nn_conv1d_fft_acc(p, x, T, w, b, y, N, false);
}

bool nn_conv1d_fft_acc(const nn_conv1d_params *p, const float *x, int T, const float *w,
                       const float *b, float *y, int N, bool acc)
{
    const int Cin = p->cin, Cout = p->cout, K = p->kernel, S = span(p);
    const int Tout = nn_conv1d_out_len(p, T);
    if (p->stride != 1 || p->groups != 1 || N < S || Tout <= 0) return false;
    /* B: new outputs per block, rounded down to a multiple of 8 and bins
     * stored at a stride of a multiple of 4, so every block starts
     * SIMD-aligned and FFTW can use its vector codelets */
    const int bins = N / 2 + 1, B = (N - S + 1) >= 8 ? (N - S + 1) & ~7 : N - S + 1;
    const int bstride = (bins + 3) & ~3;
    const int nb_total = (Tout + B - 1) / B;
    int nbc_max = (int)(SPECTRA_BUDGET_FLOATS / ((size_t)bins * 2 * Cin));
    if (nbc_max < MIN_BLOCKS_PER_CHUNK) nbc_max = MIN_BLOCKS_PER_CHUNK;
    if (nbc_max > nb_total) nbc_max = nb_total;

    const size_t CC = (size_t)Cout * Cin;
    /* filter spectra are made FILTER_BINS bins at a time: E holds the
     * chunk's cos/sin rows, P its real and imaginary planes */
    enum { FILTER_BINS = 16 };
    float *E = malloc(sizeof(float) * 2 * FILTER_BINS * ((size_t)K + CC)), *P = E + 2 * FILTER_BINS * K;
    float *W = nn_scratch(NN_SCRATCH_FFT_W, 4 * bins * CC);
    float *Xf = nn_scratch(NN_SCRATCH_FFT_X, (size_t)2 * bins * Cin * nbc_max);
    float *Yf = nn_scratch(NN_SCRATCH_FFT_Y, (size_t)2 * bins * Cout * nbc_max);
    /* planning buffers: the threads' own buffers come from fftwf_malloc
     * too, so they have the alignment the plans were made for */
    float *xp = fftwf_malloc(sizeof(float) * ((size_t)(nbc_max - 1) * B + N));
    float *frames = fftwf_malloc(sizeof(float) * (size_t)N * nbc_max);
    fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * (size_t)bstride * nbc_max);
    bool ok = E && W && Xf && Yf && xp && frames && spec;
    fft_job job = {.p = p, .x = x, .b = b, .y = y, .T = T, .Tout = Tout, .N = N, .B = B,
                   .bins = bins, .bstride = bstride, .acc = acc, .X = Xf, .Y = Yf, .W = W};
    /* Filter spectra W = conj(FFT(h)) (correlation, not convolution), h the
     * kernel with its taps at multiples of the dilation:
     * Re W[f] = sum_j w_j cos(2 pi f j d / N), Im W[f] = sum_j w_j sin(..).
     * One GEMM per chunk of bins gives both planes, which are then laid out
     * as the real form of each bin's complex matrix. */
    for (int f0 = 0; ok && f0 < bins; f0 += FILTER_BINS) {
        const int nf = bins - f0 < FILTER_BINS ? bins - f0 : FILTER_BINS;
        for (int f = 0; f < nf; f++)
            for (int j = 0; j < K; j++) {
                double th = 2.0 * M_PI * (double)(f0 + f) * j * p->dilation / N;
                E[f * K + j] = (float)cos(th);
                E[(nf + f) * K + j] = (float)sin(th);
            }
        nn_gemm_f32(false, true, 2 * nf, (int)CC, K, 1.0f, E, K, w, K, 0.0f, P, (int)CC);
        for (int f = 0; f < nf; f++) {
            const float *re = P + (size_t)f * CC, *im = P + (size_t)(nf + f) * CC;
            float *dst = W + (size_t)(f0 + f) * 4 * CC;
            for (int co = 0; co < Cout; co++) {
                float *top = dst + (size_t)co * 2 * Cin, *bot = top + (size_t)Cout * 2 * Cin;
                const float *r = re + (size_t)co * Cin, *i = im + (size_t)co * Cin;
                for (int ci = 0; ci < Cin; ci++) {
                    top[ci] = r[ci], top[Cin + ci] = -i[ci];
                    bot[ci] = i[ci], bot[Cin + ci] = r[ci];
                }
            }
        }
    }
    for (int b0 = 0; ok && b0 < nb_total; b0 += nbc_max) {
        const int nbc = nb_total - b0 < nbc_max ? nb_total - b0 : nbc_max;
        if (nbc != job.nbc) { /* plans depend on the chunk's block count */
            destroy_plans(&job.fwd, &job.inv);
            make_plans(N, B, nbc, bstride, xp, spec, frames, &job.fwd, &job.inv);
            if (!job.fwd || !job.inv) {
                ok = false;
                break;
            }
        }
        job.b0 = b0;
        job.nbc = nbc;
        /* each channel and each bin is computed alone, so any cut gives the
         * same numbers; these give every thread several pieces */
        nn_parallel_for(Cin, nn_parallel_grain(Cin, 4, 16), forward_channels, &job);
        nn_parallel_for(bins, 1, mix_bins, &job); /* channel mixing */
        nn_parallel_for(Cout, nn_parallel_grain(Cout, 4, 16), inverse_channels, &job);
        ok = !job.failed;
    }
    destroy_plans(&job.fwd, &job.inv);
    free(E);
    fftwf_free(xp);
    fftwf_free(frames);
    fftwf_free(spec);
    return ok;
}
