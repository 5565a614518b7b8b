/* The AVX2 dot product behind nn_dot, shared with the kernels that must
 * sum exactly as nn_dot does (nn/head_dots.c). Internal to src/nn. */
#ifndef CV_NN_DOT_AVX2_H
#define CV_NN_DOT_AVX2_H

#include <stdbool.h>

#if defined(__x86_64__)
#include <immintrin.h>

static inline bool nn_cpu_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma"))) static inline float nn_hsum256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* Eight lanes of fused multiply-adds, summed by nn_hsum256; the last n % 8
 * products added one by one. */
__attribute__((target("avx2,fma"))) static inline float nn_dot_avx2(const float *a,
                                                                   const float *b, int n)
{
    __m256 acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8)
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    float s = nn_hsum256(acc);
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}
#else
static inline bool nn_cpu_avx2(void) { return false; }
#endif

#endif
