#include "nn/head_dots.h"

#include <string.h>

#include "nn/dot_avx2.h"

static void dots_scalar(const float *q, int q_stride, int h0, int h1, int group, int dk,
                        const float *rows, ptrdiff_t row_stride, int n, float *out,
                        int out_stride)
{
    for (int t = 0; t < n; t++) {
        const float *row = rows + t * row_stride;
        for (int h = h0; h < h1; h++) {
            const float *a = q + (size_t)h * q_stride, *b = row + (size_t)(h / group) * dk;
            float s = 0;
            for (int i = 0; i < dk; i++) s += a[i] * b[i];
            out[(size_t)h * out_stride + t] = s;
        }
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void dots_avx2(const float *q, int q_stride, int h0,
                                                           int h1, int group, int dk,
                                                           const float *rows,
                                                           ptrdiff_t row_stride, int n,
                                                           float *out, int out_stride)
{
    for (int t = 0; t < n; t++) {
        const float *row = rows + t * row_stride;
        for (int h = h0; h < h1; h++)
            out[(size_t)h * out_stride + t] =
                nn_dot_avx2(q + (size_t)h * q_stride, row + (size_t)(h / group) * dk, dk);
    }
}

/* y += s * a lane by lane: a rounded product, then a rounded sum, as the
 * plain loop of nn_axpy (no fused multiply-add). */
__attribute__((target("avx2,fma"))) static void sums_avx2(const float *w, int w_stride, int h0,
                                                           int h1, int group, int dk,
                                                           const float *rows,
                                                           ptrdiff_t row_stride, int n,
                                                           float *ctx, int ctx_stride)
{
    int d8 = dk & ~7;
    for (int t = 0; t < n; t++) {
        const float *row = rows + t * row_stride;
        for (int h = h0; h < h1; h++) {
            float s = w[(size_t)h * w_stride + t];
            const float *a = row + (size_t)(h / group) * dk;
            float *y = ctx + (size_t)h * ctx_stride;
            __m256 sv = _mm256_set1_ps(s);
            int c = 0;
            for (; c < d8; c += 8)
                _mm256_storeu_ps(y + c, _mm256_add_ps(_mm256_loadu_ps(y + c),
                                                      _mm256_mul_ps(sv, _mm256_loadu_ps(a + c))));
            for (; c < dk; c++) y[c] += s * a[c];
        }
    }
}
#endif

void nn_head_dots(const float *q, int q_stride, int h0, int h1, int group, int dk,
                  const float *rows, ptrdiff_t row_stride, int n, float *out, int out_stride)
{
    if (group < 1) group = 1;
#if defined(__x86_64__)
    if (nn_cpu_avx2()) {
        dots_avx2(q, q_stride, h0, h1, group, dk, rows, row_stride, n, out, out_stride);
        return;
    }
#endif
    dots_scalar(q, q_stride, h0, h1, group, dk, rows, row_stride, n, out, out_stride);
}

void nn_head_weighted_sum(const float *w, int w_stride, int h0, int h1, int group, int dk,
                          const float *rows, ptrdiff_t row_stride, int n, float *ctx,
                          int ctx_stride)
{
    if (group < 1) group = 1;
    for (int h = h0; h < h1; h++) memset(ctx + (size_t)h * ctx_stride, 0, (size_t)dk * sizeof(float));
#if defined(__x86_64__)
    if (nn_cpu_avx2()) {
        sums_avx2(w, w_stride, h0, h1, group, dk, rows, row_stride, n, ctx, ctx_stride);
        return;
    }
#endif
    for (int t = 0; t < n; t++) {
        const float *row = rows + t * row_stride;
        for (int h = h0; h < h1; h++) {
            float s = w[(size_t)h * w_stride + t], *y = ctx + (size_t)h * ctx_stride;
            const float *a = row + (size_t)(h / group) * dk;
            for (int c = 0; c < dk; c++) y[c] += s * a[c];
        }
    }
}
