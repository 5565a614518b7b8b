/* Matrix products on the compute library (nn/backend.h), row-major
 * throughout, plus the thread-count knob. Layouts follow PyTorch so weights
 * from a state dict can be used as they are: a Linear weight is [out][in]. */
#ifndef CV_NN_MATMUL_H
#define CV_NN_MATMUL_H

#include <stdbool.h>
#include <stddef.h>

/* Threads for the nn ops (process-wide; n < 1 means 1; until it is called,
 * 1). nn splits its work itself on a small persistent pool
 * (src/nn/parallel.h), GEMMs included; the library always runs serially.
 * Results are bit-identical whatever the count. */
void nn_set_threads(int n);
int nn_get_threads(void);

/* C[M][N] = alpha * op(A) * op(B) + beta * C, row-major with leading
 * dimensions; op(A) is A^T when trans_a (A is then stored [K][M]).
 * Products of 2M multiply-adds or more are cut into pieces of rows (M > N)
 * or columns, nn_gemm_piece(M, N, K) long, spread over the nn threads.
 * Under NN_BF16 a product with a registered weight runs in bf16
 * (nn/weights.h). */
void nn_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
             const float *A, int lda, const float *B, int ldb, float beta, float *C,
             int ldc);

/* nn_gemm always in float32 (products of derived matrices, such as the
 * FFT convolution's filter spectra, that are not meant to lose precision). */
void nn_gemm_f32(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                 const float *A, int lda, const float *B, int ldb, float beta, float *C,
                 int ldc);

/* Rows (M > N) or columns per piece of nn_gemm's cut: a function of the
 * shape alone. */
int nn_gemm_piece(int M, int N, int K);

/* Batched nn_gemm: for i < batch, matrices start at A + i*stride_a etc.
 * (attention: Q*K^T per head with stride head_dim inside [T][H*D] rows). */
void nn_gemm_batched(int batch, bool trans_a, bool trans_b, int M, int N, int K,
                     float alpha, const float *A, int lda, size_t stride_a,
                     const float *B, int ldb, size_t stride_b, float beta, float *C,
                     int ldc, size_t stride_c);

/* Linear layer on rows: y[n][out] = x[n][in] * w[out][in]^T + b[out].
 * b may be NULL. y must not alias x. */
void nn_linear(const float *x, int n, int in, const float *w, const float *b, int out,
               float *y);

/* Scaled dot-product attention over H heads, rows laid out as a Linear
 * produces them: q [Tq][ldq], k [Tk][ldk], v [Tk][ldv]; head h uses columns
 * h*D .. h*D+D-1. out [Tq][H*D] (head-major columns, as PyTorch's
 * transpose(1,2).view(T, H*D)). bias, if not NULL, is added to the scores
 * before the softmax: bias + h*bias_head_stride + i*Tk + j (stride 0 shares
 * one [Tq][Tk] bias across heads); use -INFINITY to mask. scale is usually
 * 1/sqrt(D). Returns false on allocation failure. */
bool nn_attention(const float *q, int ldq, const float *k, int ldk, const float *v,
                  int ldv, int Tq, int Tk, int H, int D, float scale, const float *bias,
                  size_t bias_head_stride, float *out);

#endif
