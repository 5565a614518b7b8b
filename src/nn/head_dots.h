/* The two products of a single-query multi-head attention over a key/value
 * cache (token-by-token decoding), computed row by row of the cache rather
 * than head by head:
 *  - scores: out[h][t] = q_h . row_t,h for every head h and cached row t;
 *  - context: ctx_h = sum over t of w[h][t] * row_t,h.
 * A cache row holds every head's slice side by side (d = heads * dk
 * floats), so reading it whole streams memory in order, where a loop per
 * head touches dk floats of every row at a stride of d (one page per row
 * for CosyVoice-300M's d = 1024): short bursts the prefetchers do not
 * follow, plus a call per dk-long dot product.
 *
 * Each dot product is summed exactly as nn_dot sums it, and each weighted
 * sum as nn_axpy accumulates it (a product, then a sum, row by row), so the
 * results equal the head-by-head loops bit for bit; they do not depend on
 * which heads a call covers either, so callers may split heads over
 * threads freely. */
#ifndef CV_NN_HEAD_DOTS_H
#define CV_NN_HEAD_DOTS_H

#include <stddef.h>

/* Heads [h0, h1): out[h * out_stride + t] = dot(q + h * q_stride,
 * rows + t * row_stride + g(h) * dk, dk) for t < n, where g(h) = h / group
 * (group query heads share one key head; 1 without grouping). row_stride
 * may be negative (rows stored in descending order). */
void nn_head_dots(const float *q, int q_stride, int h0, int h1, int group, int dk,
                  const float *rows, ptrdiff_t row_stride, int n, float *out, int out_stride);

/* Heads [h0, h1): ctx[h * ctx_stride + c] = sum over t < n, in order, of
 * w[h * w_stride + t] * rows[t * row_stride + g(h) * dk + c], for c < dk. */
void nn_head_weighted_sum(const float *w, int w_stride, int h0, int h1, int group, int dk,
                          const float *rows, ptrdiff_t row_stride, int n, float *ctx,
                          int ctx_stride);

#endif
