#include "nn/bf16.h"

#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

static void from_f32_scalar(const float *src, uint16_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], sizeof u);
        if ((u & 0x7fffffffu) > 0x7f800000u) dst[i] = (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
        else dst[i] = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
}

#if defined(__x86_64__)
/* The CPU's own conversion (round to nearest even, as above): activations
 * are rounded on every bf16 product, so this runs often. */
__attribute__((target("avx512f,avx512bf16"))) static void from_f32_avx512(const float *src,
                                                                          uint16_t *dst, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256bh h = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + i));
        _mm256_storeu_si256((__m256i *)(dst + i), (__m256i)h);
    }
    from_f32_scalar(src + i, dst + i, n - i);
}

static bool have_avx512bf16(void)
{
    static int cached = -1;
    if (cached < 0) {
        unsigned a, b, c, d;
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __get_cpuid_count(7, 1, &a, &b, &c, &d) &&
                 (a >> 5 & 1);
    }
    return cached;
}
#endif

void nn_bf16_from_f32(const float *src, uint16_t *dst, size_t n)
{
#if defined(__x86_64__)
    if (have_avx512bf16()) {
        from_f32_avx512(src, dst, n);
        return;
    }
#endif
    from_f32_scalar(src, dst, n);
}

void nn_bf16_to_f32(const uint16_t *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)src[i] << 16;
        memcpy(&dst[i], &u, sizeof u);
    }
}
