#include "nn/matmul.h"

#include <stdlib.h>

#include "nn/backend.h"
#include "nn/bf16.h"
#include "nn/ops.h"
#include "nn/parallel.h"
#include "nn/scratch.h"
#include "nn/weights.h"

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

/* Smaller products stay float32 under NN_BF16: the bf16 primitives cost
 * more to set up than they save there. */
#define BF16_MIN_MACS (1L << 18)

typedef struct gemm_job {
    bool ta, tb;
    int M, N, K, lda, ldb, ldc;
    float alpha, beta;
    const float *A, *B;
    float *C;
    bool split_rows;
    const uint16_t *Ab, *Bb; /* both set: the product runs in bf16 */
    int lda16, ldb16;
} gemm_job;

/* Rows begin..end (split_rows) or columns of the product, in bf16; false
 * if the library could not make the primitive (C is then untouched). */
static bool gemm_part_bf16(const gemm_job *g, int begin, int end)
{
    if (g->split_rows) {
        const uint16_t *A = g->ta ? g->Ab + begin : g->Ab + (size_t)begin * g->lda16;
        return nn_backend_gemm_bf16(g->ta, g->tb, end - begin, g->N, g->K, g->alpha, A,
                                    g->lda16, g->Bb, g->ldb16, g->beta,
                                    g->C + (size_t)begin * g->ldc, g->ldc);
    }
    const uint16_t *B = g->tb ? g->Bb + (size_t)begin * g->ldb16 : g->Bb + begin;
    return nn_backend_gemm_bf16(g->ta, g->tb, g->M, end - begin, g->K, g->alpha, g->Ab,
                                g->lda16, B, g->ldb16, g->beta, g->C + begin, g->ldc);
}

static void gemm_part(void *ctx, int begin, int end)
{
    const gemm_job *g = ctx;
    if (g->Ab && gemm_part_bf16(g, begin, end)) return;
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

typedef struct pack_job {
    const float *src;
    int cols, ld;
    uint16_t *dst;
} pack_job;

static void pack_rows(void *ctx, int r0, int r1)
{
    const pack_job *j = ctx;
    for (int r = r0; r < r1; r++)
        nn_bf16_from_f32(j->src + (size_t)r * j->ld, j->dst + (size_t)r * j->cols,
                         (size_t)j->cols);
}

/* rows x cols at src (leading dimension ld) to bf16, packed (ld = cols),
 * rows spread over the threads (each element is rounded alone). */
static void pack_bf16(const float *src, int rows, int cols, int ld, uint16_t *dst)
{
    pack_job j = {src, cols, ld, dst};
    nn_parallel_for(rows, nn_parallel_grain(rows, (1 << 14) / (cols + 1) + 1, 8), pack_rows, &j);
}

/* Under NN_BF16, a product with a registered weight operand: the weight's
 * bf16 copy, the other operand rounded into scratch. false: float32. */
static bool bf16_operands(gemm_job *g)
{
    if (nn_get_precision() != NN_BF16 || (long)g->M * g->N * g->K < BF16_MIN_MACS) return false;
    /* stored extents: op(A) is M x K, op(B) is K x N */
    int ar = g->ta ? g->K : g->M, ac = g->ta ? g->M : g->K;
    int br = g->tb ? g->N : g->K, bc = g->tb ? g->K : g->N;
    g->Ab = nn_weights_bf16(g->A, (size_t)(ar - 1) * g->lda + ac);
    g->Bb = nn_weights_bf16(g->B, (size_t)(br - 1) * g->ldb + bc);
    if (!g->Ab == !g->Bb) { /* no weight, or weights on both sides: leave it */
        g->Ab = g->Bb = NULL;
        return false;
    }
    int rows = g->Ab ? br : ar, cols = g->Ab ? bc : ac;
    uint16_t *t = (uint16_t *)nn_scratch(NN_SCRATCH_BF16, ((size_t)rows * cols + 1) / 2);
    if (!t) {
        g->Ab = g->Bb = NULL;
        return false;
    }
    g->lda16 = g->lda, g->ldb16 = g->ldb;
    if (g->Ab) {
        pack_bf16(g->B, rows, cols, g->ldb, t);
        g->Bb = t, g->ldb16 = cols;
    } else {
        pack_bf16(g->A, rows, cols, g->lda, t);
        g->Ab = t, g->lda16 = cols;
    }
    return true;
}

static void gemm_run(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                     const float *A, int lda, const float *B, int ldb, float beta, float *C,
                     int ldc, bool allow_bf16)
{
    if (M <= 0 || N <= 0) return;
    if (K <= 0) { /* BLAS leaves C untouched only when beta == 1 */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] *= beta;
        return;
    }
    gemm_job g = {trans_a, trans_b, M, N, K, lda, ldb, ldc, alpha, beta, A, B, C, N < M,
                  NULL, NULL, 0, 0};
    if (allow_bf16) bf16_operands(&g);
    nn_parallel_for(g.split_rows ? M : N, nn_gemm_piece(M, N, K), gemm_part, &g);
}

void nn_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta, float *C,
             int ldc)
{
    gemm_run(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, true);
}

void nn_gemm_f32(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta, float *C,
                 int ldc)
{
    gemm_run(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, false);
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
