#include "nn/vmath.h"

#include <math.h>

/* GCC target pragmas select AVX per function; other compilers (clang, for
 * the fuzz build) take the scalar path. */
#if defined(CV_HAVE_LIBMVEC) && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>

/* libmvec's vector variants (x86_64 vector function ABI names) */
#pragma GCC push_options
#pragma GCC target("avx2,fma")
__m256 _ZGVdN8v_sinf(__m256 x);
static void vsin_avx2(const float *x, float *y, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _ZGVdN8v_sinf(_mm256_loadu_ps(x + i)));
    for (; i < n; i++) y[i] = sinf(x[i]);
}
static void vsnake_avx2(const float *x, float *y, size_t n, float a, float inv)
{
    const __m256 va = _mm256_set1_ps(a), vi = _mm256_set1_ps(inv);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), s = _ZGVdN8v_sinf(_mm256_mul_ps(v, va));
        _mm256_storeu_ps(y + i, _mm256_add_ps(v, _mm256_mul_ps(vi, _mm256_mul_ps(s, s))));
    }
    for (; i < n; i++) {
        float s = sinf(x[i] * a);
        y[i] = x[i] + inv * (s * s);
    }
}
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f")
__m512 _ZGVeN16v_sinf(__m512 x);
static void vsin_avx512(const float *x, float *y, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _ZGVeN16v_sinf(_mm512_loadu_ps(x + i)));
    for (; i < n; i++) y[i] = sinf(x[i]);
}
static void vsnake_avx512(const float *x, float *y, size_t n, float a, float inv)
{
    const __m512 va = _mm512_set1_ps(a), vi = _mm512_set1_ps(inv);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i), s = _ZGVeN16v_sinf(_mm512_mul_ps(v, va));
        _mm512_storeu_ps(y + i, _mm512_add_ps(v, _mm512_mul_ps(vi, _mm512_mul_ps(s, s))));
    }
    for (; i < n; i++) {
        float s = sinf(x[i] * a);
        y[i] = x[i] + inv * (s * s);
    }
}
#pragma GCC pop_options

typedef void (*vsin_fn)(const float *, float *, size_t);
typedef void (*vsnake_fn)(const float *, float *, size_t, float, float);

static void vsin_scalar(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = sinf(x[i]);
}

static void vsnake_scalar(const float *x, float *y, size_t n, float a, float inv)
{
    for (size_t i = 0; i < n; i++) {
        float s = sinf(x[i] * a);
        y[i] = x[i] + inv * (s * s);
    }
}

static int level(void) /* 2: AVX-512, 1: AVX2 + FMA, 0: neither */
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

void nn_vsin(const float *x, float *y, size_t n)
{
    static _Atomic(vsin_fn) impl = NULL; /* same answer from every thread */
    vsin_fn f = impl;
    if (!f) {
        const int l = level();
        impl = f = l == 2 ? vsin_avx512 : l == 1 ? vsin_avx2 : vsin_scalar;
    }
    f(x, y, n);
}

void nn_vsnake(const float *x, float *y, size_t n, float a, float inv)
{
    static _Atomic(vsnake_fn) impl = NULL;
    vsnake_fn f = impl;
    if (!f) {
        const int l = level();
        impl = f = l == 2 ? vsnake_avx512 : l == 1 ? vsnake_avx2 : vsnake_scalar;
    }
    f(x, y, n, a, inv);
}

#else

void nn_vsin(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = sinf(x[i]);
}

void nn_vsnake(const float *x, float *y, size_t n, float a, float inv)
{
    for (size_t i = 0; i < n; i++) {
        float s = sinf(x[i] * a);
        y[i] = x[i] + inv * (s * s);
    }
}

#endif
