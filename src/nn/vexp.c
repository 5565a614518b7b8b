/* libmvec-backed exp and GELU; see vexp.h. Scalar libm fallbacks give the
 * same results to a few ulp. */
#include "nn/vexp.h"

#include <math.h>

static void vexp_scalar(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = expf(x[i]);
}
static void vgelu_scalar(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}
#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */
static void vgelu_tanh_scalar(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = 0.5f * v * (1.0f + tanhf(GELU_K * (v + 0.044715f * v * v * v)));
    }
}

/* GCC target pragmas select AVX per function; other compilers (clang, for
 * the fuzz build) take the scalar path. */
#if defined(CV_HAVE_LIBMVEC) && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx2,fma")
__m256 _ZGVdN8v_expf(__m256 x);
__m256 _ZGVdN8v_erff(__m256 x);
__m256 _ZGVdN8v_tanhf(__m256 x);
static void vexp_avx2(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _ZGVdN8v_expf(_mm256_loadu_ps(x + i)));
    vexp_scalar(x + i, y + i, n - i);
}
static void vgelu_avx2(const float *x, float *y, size_t n) {
    const __m256 h = _mm256_set1_ps(0.5f), r = _mm256_set1_ps((float)M_SQRT1_2),
                 one = _mm256_set1_ps(1.0f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = _ZGVdN8v_erff(_mm256_mul_ps(v, r));
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(h, v), _mm256_add_ps(one, e)));
    }
    vgelu_scalar(x + i, y + i, n - i);
}
static void vgelu_tanh_avx2(const float *x, float *y, size_t n) {
    const __m256 h = _mm256_set1_ps(0.5f), k = _mm256_set1_ps(GELU_K),
                 c = _mm256_set1_ps(0.044715f), one = _mm256_set1_ps(1.0f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 v3 = _mm256_mul_ps(_mm256_mul_ps(c, v), _mm256_mul_ps(v, v));
        __m256 t = _ZGVdN8v_tanhf(_mm256_mul_ps(k, _mm256_add_ps(v, v3)));
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(h, v), _mm256_add_ps(one, t)));
    }
    vgelu_tanh_scalar(x + i, y + i, n - i);
}
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f")
__m512 _ZGVeN16v_expf(__m512 x);
__m512 _ZGVeN16v_erff(__m512 x);
__m512 _ZGVeN16v_tanhf(__m512 x);
static void vexp_avx512(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _ZGVeN16v_expf(_mm512_loadu_ps(x + i)));
    vexp_scalar(x + i, y + i, n - i);
}
static void vgelu_avx512(const float *x, float *y, size_t n) {
    const __m512 h = _mm512_set1_ps(0.5f), r = _mm512_set1_ps((float)M_SQRT1_2),
                 one = _mm512_set1_ps(1.0f);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 e = _ZGVeN16v_erff(_mm512_mul_ps(v, r));
        _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_mul_ps(h, v), _mm512_add_ps(one, e)));
    }
    vgelu_scalar(x + i, y + i, n - i);
}
static void vgelu_tanh_avx512(const float *x, float *y, size_t n) {
    const __m512 h = _mm512_set1_ps(0.5f), k = _mm512_set1_ps(GELU_K),
                 c = _mm512_set1_ps(0.044715f), one = _mm512_set1_ps(1.0f);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512 v3 = _mm512_mul_ps(_mm512_mul_ps(c, v), _mm512_mul_ps(v, v));
        __m512 t = _ZGVeN16v_tanhf(_mm512_mul_ps(k, _mm512_add_ps(v, v3)));
        _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_mul_ps(h, v), _mm512_add_ps(one, t)));
    }
    vgelu_tanh_scalar(x + i, y + i, n - i);
}
#pragma GCC pop_options

typedef void (*vfn)(const float *, float *, size_t);

static int level(void) {
    static _Atomic int lv = -1; /* same answer from every thread */
    int l = lv;
    if (l < 0) {
        __builtin_cpu_init();
        l = __builtin_cpu_supports("avx512f")                                        ? 2
            : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1
                                                                                     : 0;
        lv = l;
    }
    return l;
}

void nn_vexp(const float *x, float *y, size_t n) {
    static const vfn f[] = {vexp_scalar, vexp_avx2, vexp_avx512};
    f[level()](x, y, n);
}
void nn_vgelu(const float *x, float *y, size_t n) {
    static const vfn f[] = {vgelu_scalar, vgelu_avx2, vgelu_avx512};
    f[level()](x, y, n);
}
void nn_vgelu_tanh(const float *x, float *y, size_t n) {
    static const vfn f[] = {vgelu_tanh_scalar, vgelu_tanh_avx2, vgelu_tanh_avx512};
    f[level()](x, y, n);
}

#else

void nn_vexp(const float *x, float *y, size_t n) { vexp_scalar(x, y, n); }
void nn_vgelu(const float *x, float *y, size_t n) { vgelu_scalar(x, y, n); }
void nn_vgelu_tanh(const float *x, float *y, size_t n) { vgelu_tanh_scalar(x, y, n); }

#endif
