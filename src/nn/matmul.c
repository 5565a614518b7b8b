#include "nn/matmul.h"

#include <cblas.h>
#include <stdlib.h>

#include "nn/ops.h"
#include "nn/scratch.h"

void nn_set_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }

int nn_get_threads(void) { return openblas_get_num_threads(); }

void nn_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta, float *C,
             int ldc)
{
    if (M <= 0 || N <= 0) return;
    if (K <= 0) { /* BLAS leaves C untouched only when beta == 1 */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] *= beta;
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta,
                C, ldc);
}

void nn_gemm_batched(int batch, bool trans_a, bool trans_b, int M, int N, int K,
                     float alpha, const float *A, int lda, size_t stride_a,
                     const float *B, int ldb, size_t stride_b, float beta, float *C,
                     int ldc, size_t stride_c)
{
    for (int i = 0; i < batch; i++)
        nn_gemm(trans_a, trans_b, M, N, K, alpha, A + i * stride_a, lda, B + i * stride_b,
                ldb, beta, C + i * stride_c, ldc);
}

void nn_linear(const float *x, int n, int in, const float *w, const float *b, int out,
               float *y)
{
    if (b) {
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) y[(size_t)i * out + o] = b[o];
    }
    nn_gemm(false, true, n, out, in, 1.0f, x, in, w, in, b ? 1.0f : 0.0f, y, out);
}

bool nn_attention(const float *q, int ldq, const float *k, int ldk, const float *v,
                  int ldv, int Tq, int Tk, int H, int D, float scale, const float *bias,
                  size_t bias_head_stride, float *out)
{
    float *s = nn_scratch(NN_SCRATCH_ATTENTION, (size_t)Tq * Tk);
    if (!s) return false;
    for (int h = 0; h < H; h++) {
        /* scores[i][j] = scale * q_i . k_j (+ bias) */
        nn_gemm(false, true, Tq, Tk, D, scale, q + h * D, ldq, k + h * D, ldk, 0.0f, s, Tk);
        if (bias) nn_add(s, bias + h * bias_head_stride, (size_t)Tq * Tk);
        nn_softmax_rows(s, Tq, Tk);
        nn_gemm(false, false, Tq, D, Tk, 1.0f, s, Tk, v + h * D, ldv, 0.0f, out + h * D,
                H * D);
    }
    return true;
}
