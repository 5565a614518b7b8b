#include "nn/conv_fft.h"

/* OpenBLAS's cblas.h pulls in <complex.h>; keep fftwf_complex a float[2] */
#define FFTW_NO_Complex
#include <cblas.h>
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "nn/matmul.h"
#include "nn/scratch.h"

/* Input spectra of at most this many floats are held at once (blocks are
 * processed in chunks), enough for each per-bin product to be a GEMM
 * OpenBLAS runs efficiently. */
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

bool nn_conv1d_fft(const nn_conv1d_params *p, const float *x, int T, const float *w,
                   const float *b, float *y, int N)
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
    const size_t xp_n = (size_t)(nbc_max - 1) * B + N; /* one padded channel chunk */
    float *E = malloc(sizeof(float) * 2 * bins * K);
    float *Wt = nn_scratch(NN_SCRATCH_FFT_W, 4 * bins * CC);
    float *Xf = nn_scratch(NN_SCRATCH_FFT_X, (size_t)2 * bins * Cin * nbc_max);
    float *Yf = nn_scratch(NN_SCRATCH_FFT_Y, (size_t)2 * bins * Cout * nbc_max);
    float *xp = fftwf_malloc(sizeof(float) * xp_n);
    float *frames = fftwf_malloc(sizeof(float) * (size_t)N * nbc_max);
    fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * (size_t)bstride * nbc_max);
    bool ok = E && Wt && Xf && Yf && xp && frames && spec;
    fftwf_complex *Wc = (fftwf_complex *)(Wt + 2 * bins * CC); /* [bins][Cout][Cin] */
    fftwf_complex *Xc = (fftwf_complex *)Xf;                   /* [bins][Cin][nbc] */
    fftwf_complex *Yc = (fftwf_complex *)Yf;                   /* [bins][Cout][nbc] */
    if (ok) {
        /* Filter spectra W = conj(FFT(h)) (correlation, not convolution), h
         * the kernel with its taps at multiples of the dilation:
         * Re W[f] = sum_j w_j cos(2 pi f j d / N), Im W[f] = sum_j w_j sin(..).
         * One GEMM gives both planes, then they are interleaved. */
        for (int f = 0; f < bins; f++)
            for (int j = 0; j < K; j++) {
                double th = 2.0 * M_PI * (double)f * j * p->dilation / N;
                E[f * K + j] = (float)cos(th);
                E[(bins + f) * K + j] = (float)sin(th);
            }
        nn_gemm(false, true, 2 * bins, (int)CC, K, 1.0f, E, K, w, K, 0.0f, Wt, (int)CC);
        for (int f = 0; f < bins; f++) {
            const float *re = Wt + (size_t)f * CC, *im = Wt + (size_t)(bins + f) * CC;
            fftwf_complex *dst = Wc + (size_t)f * CC;
            for (size_t q = 0; q < CC; q++) dst[q][0] = re[q], dst[q][1] = im[q];
        }
    }
    const float inv_n = 1.0f / (float)N;
    const float one[2] = {1.0f, 0.0f}, zero[2] = {0.0f, 0.0f};
    fftwf_plan fwd = NULL, inv = NULL;
    int planned_nbc = 0;
    for (int b0 = 0; ok && b0 < nb_total; b0 += nbc_max) {
        const int nbc = nb_total - b0 < nbc_max ? nb_total - b0 : nbc_max;
        if (nbc != planned_nbc) { /* strides depend on the chunk's block count */
            destroy_plans(&fwd, &inv);
            make_plans(N, B, nbc, bstride, xp, spec, frames, &fwd, &inv);
            planned_nbc = nbc;
            if (!fwd || !inv) {
                ok = false;
                break;
            }
        }
        const int start = b0 * B - p->pad_left; /* x index of xp[0] */
        const int len = (nbc - 1) * B + N;
        for (int ci = 0; ci < Cin; ci++) { /* zero-padded window of the channel */
            const float *xr = x + (size_t)ci * T;
            int lo = start < 0 ? -start : 0, hi = T - start < len ? T - start : len;
            if (hi < lo) hi = lo;
            if (lo > len) lo = hi = len;
            memset(xp, 0, sizeof(float) * lo);
            if (hi > lo) memcpy(xp + lo, xr + start + lo, sizeof(float) * (hi - lo));
            memset(xp + hi, 0, sizeof(float) * (len - hi));
            fftwf_execute_dft_r2c(fwd, xp, spec);
            for (int f = 0; f < bins; f++) { /* [block][bin] -> Xc[bin][ci][block] */
                fftwf_complex *dst = Xc + ((size_t)f * Cin + ci) * nbc;
                for (int bb = 0; bb < nbc; bb++) {
                    dst[bb][0] = spec[(size_t)bb * bstride + f][0];
                    dst[bb][1] = spec[(size_t)bb * bstride + f][1];
                }
            }
        }
        /* channel mixing, one complex GEMM per bin */
        for (int f = 0; f < bins; f++)
            cblas_cgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout, nbc, Cin, one,
                        Wc + (size_t)f * CC, Cin, Xc + (size_t)f * Cin * nbc, nbc, zero,
                        Yc + (size_t)f * Cout * nbc, nbc);
        for (int co = 0; co < Cout; co++) {
            for (int f = 0; f < bins; f++) { /* Yc[bin][co][block] -> [block][bin] */
                const fftwf_complex *src = Yc + ((size_t)f * Cout + co) * nbc;
                for (int bb = 0; bb < nbc; bb++) {
                    spec[(size_t)bb * bstride + f][0] = src[bb][0];
                    spec[(size_t)bb * bstride + f][1] = src[bb][1];
                }
            }
            for (int bb = 0; bb < nbc; bb++) { /* real signal: DC and Nyquist are real */
                spec[(size_t)bb * bstride][1] = 0.0f;
                spec[(size_t)bb * bstride + bins - 1][1] = 0.0f;
            }
            fftwf_execute_dft_c2r(inv, spec, frames);
            float *yr = y + (size_t)co * Tout;
            const float bias = b ? b[co] : 0.0f;
            for (int bb = 0; bb < nbc; bb++) { /* the first B samples of a block are valid */
                int t0 = (b0 + bb) * B, n = Tout - t0 < B ? Tout - t0 : B;
                const float *fr = frames + (size_t)bb * N;
                for (int t = 0; t < n; t++) yr[t0 + t] = fr[t] * inv_n + bias;
            }
        }
    }
    destroy_plans(&fwd, &inv);
    free(E);
    fftwf_free(xp);
    fftwf_free(frames);
    fftwf_free(spec);
    return ok;
}
