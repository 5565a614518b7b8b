#include "nn/conv.h"

#include <stdlib.h>
#include <string.h>

#include "nn/conv_bf16.h"
#include "nn/conv_fft.h"
#include "nn/matmul.h"
#include "nn/scratch.h"

/* Scratch per GEMM call is about this many floats (4 MiB): big enough for an
 * efficient GEMM, small enough to stay in the last-level cache. */
#define CHUNK_FLOATS (1u << 20)
#define MIN_CHUNK_COLS 128

static int chunk_cols(int rows, int total)
{
    int n = (int)(CHUNK_FLOATS / (unsigned)(rows > 0 ? rows : 1));
    if (n < MIN_CHUNK_COLS) n = MIN_CHUNK_COLS;
    return n < total ? n : total;
}

int nn_conv1d_out_len(const nn_conv1d_params *p, int T)
{
    int span = p->dilation * (p->kernel - 1) + 1;
    int len = T + p->pad_left + p->pad_right - span;
    return len < 0 ? 0 : len / p->stride + 1;
}

static bool conv_params_ok(const nn_conv1d_params *p)
{
    return p->cin > 0 && p->cout > 0 && p->kernel > 0 && p->stride > 0 &&
           p->dilation > 0 && p->groups > 0 && p->cin % p->groups == 0 &&
           p->cout % p->groups == 0 && p->pad_left >= 0 && p->pad_right >= 0;
}

/* col[(ci*K + j)][n] = x[ci][(t0+n)*stride + j*dil - pad_left] or 0 outside. */
static void im2col(const nn_conv1d_params *p, const float *x, int cin, int T, int t0,
                   int n, float *col)
{
    const int K = p->kernel;
    for (int ci = 0; ci < cin; ci++) {
        const float *xr = x + (size_t)ci * T;
        for (int j = 0; j < K; j++) {
            float *cr = col + ((size_t)ci * K + j) * n;
            int off = j * p->dilation - p->pad_left;
            if (p->stride == 1) {
                /* contiguous source range [t0+off, t0+off+n) clipped to [0,T) */
                int s = t0 + off, lo = 0, hi = n;
                if (s < 0) lo = -s;
                if (s + n > T) hi = T - s;
                if (hi < lo) hi = lo;
                if (lo > n) lo = hi = n;
                memset(cr, 0, (size_t)lo * sizeof(float));
                if (hi > lo) memcpy(cr + lo, xr + s + lo, (size_t)(hi - lo) * sizeof(float));
                memset(cr + hi, 0, (size_t)(n - hi) * sizeof(float));
            } else {
                for (int t = 0; t < n; t++) {
                    int s = (t0 + t) * p->stride + off;
                    cr[t] = (s >= 0 && s < T) ? xr[s] : 0.0f;
                }
            }
        }
    }
}

/* y = conv(x), or y += conv(x) when acc */
static bool conv1d(const nn_conv1d_params *p, const float *x, int T, const float *w,
                   const float *b, float *y, bool acc)
{
    if (!conv_params_ok(p)) return false;
    const int Tout = nn_conv1d_out_len(p, T);
    if (Tout <= 0) return Tout == 0;
    /* under NN_BF16 a registered weight runs on the library's bf16
     * convolution; float32 below if the library refuses the shape */
    const uint16_t *wb = nn_conv1d_bf16_weight(p, T, w);
    if (wb) {
        nn_conv_bf16_result r = nn_conv1d_bf16(p, x, T, wb, b, y, acc);
        if (r != NN_CONV_BF16_REFUSED) return r == NN_CONV_BF16_DONE;
    }
    const int n_fft = nn_conv1d_fft_size(p, T);
    if (n_fft > 0) return nn_conv1d_fft_acc(p, x, T, w, b, y, n_fft, acc);
    for (int c = 0; c < p->cout; c++) {
        float *yr = y + (size_t)c * Tout;
        float v = b ? b[c] : 0.0f;
        if (acc)
            for (int t = 0; t < Tout; t++) yr[t] += v;
        else
            for (int t = 0; t < Tout; t++) yr[t] = v;
    }
    const int G = p->groups, cin_g = p->cin / G, cout_g = p->cout / G;
    const int rows = cin_g * p->kernel;

    /* pointwise conv: the input already is the column matrix */
    if (p->kernel == 1 && p->stride == 1 && p->pad_left == 0 && p->pad_right == 0) {
        for (int g = 0; g < G; g++)
            nn_gemm(false, false, cout_g, Tout, cin_g, 1.0f, w + (size_t)g * cout_g * cin_g,
                    cin_g, x + (size_t)g * cin_g * T, T, 1.0f, y + (size_t)g * cout_g * Tout,
                    Tout);
        return true;
    }

    const int ncols = chunk_cols(rows, Tout);
    float *col = nn_scratch(NN_SCRATCH_COLUMNS, (size_t)rows * ncols);
    if (!col) return false;
    for (int g = 0; g < G; g++) {
        const float *xg = x + (size_t)g * cin_g * T;
        const float *wg = w + (size_t)g * cout_g * rows;
        float *yg = y + (size_t)g * cout_g * Tout;
        for (int t0 = 0; t0 < Tout; t0 += ncols) {
            int n = Tout - t0 < ncols ? Tout - t0 : ncols;
            im2col(p, xg, cin_g, T, t0, n, col);
            nn_gemm(false, false, cout_g, n, rows, 1.0f, wg, rows, col, n, 1.0f, yg + t0,
                    Tout);
        }
    }
    return true;
}

bool nn_conv1d(const nn_conv1d_params *p, const float *x, int T, const float *w,
               const float *b, float *y)
{
    return conv1d(p, x, T, w, b, y, false);
}

bool nn_conv1d_acc(const nn_conv1d_params *p, const float *x, int T, const float *w,
                   const float *b, float *y)
{
    return conv1d(p, x, T, w, b, y, true);
}

int nn_conv_transpose1d_out_len(const nn_conv_transpose1d_params *p, int T)
{
    if (T <= 0) return 0;
    int len = (T - 1) * p->stride - 2 * p->padding + p->dilation * (p->kernel - 1) +
              p->output_padding + 1;
    return len < 0 ? 0 : len;
}

bool nn_conv_transpose1d(const nn_conv_transpose1d_params *p, const float *x, int T,
                         const float *w, const float *b, float *y)
{
    if (p->cin <= 0 || p->cout <= 0 || p->kernel <= 0 || p->stride <= 0 ||
        p->dilation <= 0 || p->padding < 0 || p->output_padding < 0)
        return false;
    const int Tout = nn_conv_transpose1d_out_len(p, T);
    for (int c = 0; c < p->cout; c++) {
        float *yr = y + (size_t)c * Tout;
        float v = b ? b[c] : 0.0f;
        for (int t = 0; t < Tout; t++) yr[t] = v;
    }
    if (T <= 0 || Tout <= 0) return true;
    const int K = p->kernel, rows = p->cout * K;
    const int ncols = chunk_cols(rows, T);
    float *col = nn_scratch(NN_SCRATCH_COLUMNS, (size_t)rows * ncols);
    if (!col) return false;
    for (int t0 = 0; t0 < T; t0 += ncols) {
        int n = T - t0 < ncols ? T - t0 : ncols;
        /* col[co*K + j][t] = sum_ci w[ci][co][j] * x[ci][t0+t] */
        nn_gemm(true, false, rows, n, p->cin, 1.0f, w, rows, x + t0, T, 0.0f, col, n);
        /* col2im: scatter-add every tap to its output frame */
        for (int co = 0; co < p->cout; co++) {
            float *yr = y + (size_t)co * Tout;
            for (int j = 0; j < K; j++) {
                const float *cr = col + ((size_t)co * K + j) * n;
                int base = t0 * p->stride + j * p->dilation - p->padding;
                for (int t = 0; t < n; t++) {
                    int o = base + t * p->stride;
                    if (o >= 0 && o < Tout) yr[o] += cr[t];
                }
            }
        }
    }
    return true;
}

bool nn_pad_reflect(const float *x, int C, int T, int left, int right, float *y)
{
    if (left < 0 || right < 0 || left >= T || right >= T) return false;
    const int To = left + T + right;
    for (int c = 0; c < C; c++) {
        const float *xr = x + (size_t)c * T;
        float *yr = y + (size_t)c * To;
        for (int i = 0; i < left; i++) yr[i] = xr[left - i];
        memcpy(yr + left, xr, (size_t)T * sizeof(float));
        for (int i = 0; i < right; i++) yr[left + T + i] = xr[T - 2 - i];
    }
    return true;
}

void nn_pad_const(const float *x, int C, int T, int left, int right, float value,
                  float *y)
{
    const int To = left + T + right;
    for (int c = 0; c < C; c++) {
        float *yr = y + (size_t)c * To;
        for (int i = 0; i < left; i++) yr[i] = value;
        memcpy(yr + left, x + (size_t)c * T, (size_t)T * sizeof(float));
        for (int i = 0; i < right; i++) yr[left + T + i] = value;
    }
}

void nn_pad_replicate(const float *x, int C, int T, int left, int right, float *y)
{
    const int To = left + T + right;
    for (int c = 0; c < C; c++) {
        const float *xr = x + (size_t)c * T;
        float *yr = y + (size_t)c * To;
        for (int i = 0; i < left; i++) yr[i] = xr[0];
        memcpy(yr + left, xr, (size_t)T * sizeof(float));
        for (int i = 0; i < right; i++) yr[left + T + i] = xr[T - 1];
    }
}
