/* Matrix-vector products for one-row Linear layers (token-by-token
 * decoding), where a GEMM with one row is several times slower than a
 * streaming kernel and the cost is reading the weights once:
 *  - float32 weights, AVX2/FMA when the CPU has it;
 *  - 8-bit weights with one float scale per output row (symmetric,
 *    scale = max|w| / 127), dequantised in registers and accumulated in
 *    float32: a quarter of the memory traffic.
 * Rows are split over an nn_pool's threads (NULL: the calling thread). */
#ifndef CV_NN_MATVEC_H
#define CV_NN_MATVEC_H

#include <stdbool.h>
#include <stdint.h>

#include "nn/pool.h"

/* y[out] = W[out][in] x + b (b may be NULL). y must not alias x. */
void nn_matvec(nn_pool *p, const float *W, const float *b, int out, int in, const float *x,
               float *y);

/* sum a[i] * b[i] (AVX2/FMA when available; summation order differs from
 * a plain loop). */
float nn_dot(const float *a, const float *b, int n);

typedef struct nn_q8 {
    int8_t *q;    /* [rows][cols] */
    float *scale; /* [rows] */
    int rows, cols;
} nn_q8;

/* Quantizes W [rows][cols]; false on allocation failure (*m then empty). */
bool nn_q8_quantize(const float *W, int rows, int cols, nn_q8 *m);
void nn_q8_free(nn_q8 *m);
/* y[rows] = dequant(m) x + b (b may be NULL). y must not alias x. */
void nn_q8_matvec(nn_pool *p, const nn_q8 *m, const float *b, const float *x, float *y);

/* One product y = W x + b with either float32 weights W [out][in] or 8-bit
 * weights q8 (when q8 != NULL; then out == q8->rows). */
typedef struct nn_matvec_item {
    const float *W;
    const nn_q8 *q8;
    const float *b; /* may be NULL */
    int out;
    float *y; /* must not alias x */
} nn_matvec_item;

#define NN_MATVEC_MAX_ITEMS 8

/* Several products of the same x[in] as one job (one synchronisation, one
 * rounding of x for the 8-bit kernel), e.g. a layer's query, key and value. */
void nn_matvec_multi(nn_pool *p, const nn_matvec_item *items, int n_items, int in,
                     const float *x);

#endif
