#include "nn/matmul.h"

#include <stdlib.h>

#include "nn/backend.h"
#include "nn/ops.h"
#include "nn/parallel.h"
#include "nn/scratch.h"

void nn_set_threads(int n) { nn_parallel_set_threads(n); }

int nn_get_threads(void) { return nn_parallel_threads(); }

/* Products below this many multiply-adds are not worth splitting. */
#define GEMM_SPLIT_MACS (1L << 21)
/* A split product is cut into at most this many pieces of at least
 * GEMM_MIN_PIECE rows (or columns), a multiple of GEMM_PIECE_ALIGN: whole
 * kernel tiles, enough pieces to balance over a few threads and to let a
 * caller whose helpers are descheduled take over their share. The cut
 * depends on M, N and K only (src/nn/parallel.h). */
#define GEMM_MAX_PIECES 8
#define GEMM_MIN_PIECE 64
#define GEMM_PIECE_ALIGN 16

typedef struct gemm_job {
    bool ta, tb;
    int M, N, K, lda, ldb, ldc;
    float alpha, beta;
    const float *A, *B;
    float *C;
    bool split_rows;
} gemm_job;

static void gemm_part(void *ctx, int begin, int end)
{
    const gemm_job *g = ctx;
    if (g->split_rows) { /* rows begin..end of op(A) and C */
        const float *A = g->ta ? g->A + begin : g->A + (size_t)begin * g->lda;
        nn_backend_sgemm(g->ta, g->tb, end - begin, g->N, g->K, g->alpha, A, g->lda, g->B,
                         g->ldb, g->beta, g->C + (size_t)begin * g->ldc, g->ldc);
    } else { /* columns begin..end of op(B) and C */
        const float *B = g->tb ? g->B + (size_t)begin * g->ldb : g->B + begin;
        nn_backend_sgemm(g->ta, g->tb, g->M, end - begin, g->K, g->alpha, g->A, g->lda, B,
                         g->ldb, g->beta, g->C + begin, g->ldc);
    }
}

int nn_gemm_piece(int M, int N, int K)
{
    int side = N < M ? M : N;
    if ((long)M * N * K < GEMM_SPLIT_MACS || side < 2 * GEMM_MIN_PIECE) return side;
    int g = nn_parallel_grain(side, GEMM_MIN_PIECE, GEMM_MAX_PIECES);
    return (g + GEMM_PIECE_ALIGN - 1) / GEMM_PIECE_ALIGN * GEMM_PIECE_ALIGN;
}

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
    gemm_job g = {trans_a, trans_b, M, N, K, lda, ldb, ldc, alpha, beta, A, B, C, N < M};
    nn_parallel_for(g.split_rows ? M : N, nn_gemm_piece(M, N, K), gemm_part, &g);
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
