/* Batched channel-major kernels of the flow decoder; see seg_ops.h. */
#include "model/blocks/seg_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/matmul.h"

size_t seg_conv1d_work(int cin, int B, int T, int k, int stride, int pad) {
    int tout = (T + 2 * pad - k) / stride + 1;
    return (size_t)cin * k * B * tout;
}

static void fill_bias(float *Y, int cout, int N, const float *bias) {
    for (int c = 0; c < cout; c++) {
        float b = bias ? bias[c] : 0.0f;
        float *y = Y + (size_t)c * N;
        for (int n = 0; n < N; n++) y[n] = b;
    }
}

void seg_conv1d(const float *X, int cin, int B, int T, const float *W, const float *bias,
                int cout, int k, int stride, int pad, float *Y, float *work, int accumulate) {
    seg_conv1d_lr(X, cin, B, T, W, bias, cout, k, stride, pad, pad, Y, work, accumulate);
}

void seg_conv1d_lr(const float *X, int cin, int B, int T, const float *W, const float *bias,
                   int cout, int k, int stride, int pad, int pad_right, float *Y, float *work,
                   int accumulate) {
    int tout = (T + pad + pad_right - k) / stride + 1;
    int N = B * tout;
    const float *cols = X;
    if (!(k == 1 && stride == 1 && pad == 0 && pad_right == 0)) {
        /* im2col, each batch segment padded on its own */
        for (int ci = 0; ci < cin; ci++) {
            const float *x = X + (size_t)ci * B * T;
            for (int j = 0; j < k; j++) {
                float *row = work + ((size_t)ci * k + j) * N;
                for (int b = 0; b < B; b++) {
                    const float *xs = x + (size_t)b * T;
                    float *r = row + (size_t)b * tout;
                    int off = j - pad;
                    if (stride == 1) {
                        int lo = off < 0 ? -off : 0;
                        int hi = T - off < tout ? T - off : tout;
                        if (hi < lo) hi = lo;
                        for (int t = 0; t < lo; t++) r[t] = 0.0f;
                        memcpy(r + lo, xs + lo + off, (size_t)(hi - lo) * sizeof(float));
                        for (int t = hi; t < tout; t++) r[t] = 0.0f;
                    } else {
                        for (int t = 0; t < tout; t++) {
                            int s = t * stride + off;
                            r[t] = (s >= 0 && s < T) ? xs[s] : 0.0f;
                        }
                    }
                }
            }
        }
        cols = work;
    }
    float beta = 1.0f;
    if (!accumulate && !bias) beta = 0.0f;
    else if (!accumulate) fill_bias(Y, cout, N, bias);
    else if (bias) {
        for (int c = 0; c < cout; c++) {
            float *y = Y + (size_t)c * N;
            for (int n = 0; n < N; n++) y[n] += bias[c];
        }
    }
    nn_gemm(false, false, cout, N, cin * k, 1.0f, W, cin * k, cols, N, beta, Y, N);
}

void seg_conv_transpose1d(const float *X, int cin, int B, int T, const float *W,
                          const float *bias, int cout, int k, int stride, int pad,
                          float *Y, float *work) {
    int N = B * T;
    int tout = (T - 1) * stride - 2 * pad + k;
    /* work[(co*k + j)][n] = sum_ci W[ci][co][j] X[ci][n] */
    nn_gemm(true, false, cout * k, N, cin, 1.0f, W, cout * k, X, N, 0.0f, work, N);
    fill_bias(Y, cout, B * tout, bias);
    for (int co = 0; co < cout; co++) {
        float *y = Y + (size_t)co * B * tout;
        for (int j = 0; j < k; j++) {
            const float *w = work + ((size_t)co * k + j) * N;
            for (int b = 0; b < B; b++) {
                const float *ws = w + (size_t)b * T;
                float *ys = y + (size_t)b * tout;
                for (int ti = 0; ti < T; ti++) {
                    int to = ti * stride - pad + j;
                    if (to >= 0 && to < tout) ys[to] += ws[ti];
                }
            }
        }
    }
}

void seg_linear(const float *X, int cin, int N, const float *W, const float *bias,
                int cout, float *Y) {
    if (bias) fill_bias(Y, cout, N, bias);
    nn_gemm(false, false, cout, N, cin, 1.0f, W, cin, X, N, bias ? 1.0f : 0.0f, Y, N);
}

void seg_group_norm(float *X, int C, int B, int T, int groups, const float *gamma,
                    const float *beta) {
    int cg = C / groups;
    size_t N = (size_t)B * T;
    for (int b = 0; b < B; b++) {
        for (int g = 0; g < groups; g++) {
            double s = 0.0, s2 = 0.0;
            for (int c = g * cg; c < (g + 1) * cg; c++) {
                const float *x = X + c * N + (size_t)b * T;
                for (int t = 0; t < T; t++) s += x[t];
            }
            double cnt = (double)cg * T;
            double mean = s / cnt;
            for (int c = g * cg; c < (g + 1) * cg; c++) {
                const float *x = X + c * N + (size_t)b * T;
                for (int t = 0; t < T; t++) {
                    double d = x[t] - mean;
                    s2 += d * d;
                }
            }
            float rstd = (float)(1.0 / sqrt(s2 / cnt + 1e-5));
            float fm = (float)mean;
            for (int c = g * cg; c < (g + 1) * cg; c++) {
                float *x = X + c * N + (size_t)b * T;
                float a = rstd * gamma[c], o = beta[c] - fm * a;
                for (int t = 0; t < T; t++) x[t] = x[t] * a + o;
            }
        }
    }
}

void seg_layer_norm(const float *X, int C, int N, const float *gamma, const float *beta,
                    float *Y) {
    /* a block of columns at a time: its statistics live on the stack and
     * the block's C rows stay in cache for the three passes; per column the
     * sums run over the channels in order, as over the whole width */
    enum { BLK = 256 };
    float mean[BLK], rstd[BLK];
    for (int n0 = 0; n0 < N; n0 += BLK) {
        const int m = N - n0 < BLK ? N - n0 : BLK;
        for (int n = 0; n < m; n++) mean[n] = rstd[n] = 0.0f;
        for (int c = 0; c < C; c++) {
            const float *x = X + (size_t)c * N + n0;
            for (int n = 0; n < m; n++) mean[n] += x[n];
        }
        for (int n = 0; n < m; n++) mean[n] /= (float)C;
        for (int c = 0; c < C; c++) {
            const float *x = X + (size_t)c * N + n0;
            for (int n = 0; n < m; n++) {
                float d = x[n] - mean[n];
                rstd[n] += d * d;
            }
        }
        for (int n = 0; n < m; n++) rstd[n] = 1.0f / sqrtf(rstd[n] / (float)C + 1e-5f);
        for (int c = 0; c < C; c++) {
            const float *x = X + (size_t)c * N + n0;
            float *y = Y + (size_t)c * N + n0;
            float g = gamma[c], bt = beta[c];
            for (int n = 0; n < m; n++) y[n] = (x[n] - mean[n]) * rstd[n] * g + bt;
        }
    }
}

void seg_mul_mask(float *X, int C, int N, const float *mask) {
    if (!mask) return;
    for (int c = 0; c < C; c++) {
        float *x = X + (size_t)c * N;
        for (int n = 0; n < N; n++) x[n] *= mask[n];
    }
}
