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
#pragma GCC pop_options

typedef void (*vsin_fn)(const float *, float *, size_t);

static void vsin_scalar(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = sinf(x[i]);
}

static vsin_fn pick(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return vsin_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return vsin_avx2;
    return vsin_scalar;
}

void nn_vsin(const float *x, float *y, size_t n)
{
    static _Atomic(vsin_fn) impl = NULL; /* same answer from every thread */
    vsin_fn f = impl;
    if (!f) impl = f = pick();
    f(x, y, n);
}

#else

void nn_vsin(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = sinf(x[i]);
}

#endif
