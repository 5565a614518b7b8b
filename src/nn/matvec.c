#include "nn/matvec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* ---- float32 ------------------------------------------------------------ */

static void rows_f32_scalar(const float *W, int r0, int r1, int in, const float *x, float *y)
{
    for (int r = r0; r < r1; r++) {
        const float *w = W + (size_t)r * in;
        float s = 0;
        for (int c = 0; c < in; c++) s += w[c] * x[c];
        y[r] = s;
    }
}

#if HAVE_X86
__attribute__((target("avx2,fma"))) static float hsum256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* Four rows at a time so each load of x serves four weight streams. */
__attribute__((target("avx2,fma"))) static void rows_f32_avx2(const float *W, int r0, int r1,
                                                               int in, const float *x, float *y)
{
    int r = r0, c8 = in & ~7;
    for (; r + 4 <= r1; r += 4) {
        const float *w0 = W + (size_t)r * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < c8; c += 8) {
            __m256 xv = _mm256_loadu_ps(x + c);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c), xv, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c), xv, a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c), xv, a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c), xv, a3);
        }
        float s0 = hsum256(a0), s1 = hsum256(a1), s2 = hsum256(a2), s3 = hsum256(a3);
        for (int c = c8; c < in; c++) {
            s0 += w0[c] * x[c], s1 += w1[c] * x[c], s2 += w2[c] * x[c], s3 += w3[c] * x[c];
        }
        y[r] = s0, y[r + 1] = s1, y[r + 2] = s2, y[r + 3] = s3;
    }
    rows_f32_scalar(W, r, r1, in, x, y);
}
#endif

static bool use_avx2(void)
{
#if HAVE_X86
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

/* Below this many weights a product is over before another thread could
 * join in: run it on the caller. */
#define PARALLEL_MIN_WEIGHTS (1L << 16)

typedef struct mv_job {
    const float *W, *b, *x;
    const nn_q8 *q;
    int out, in;
    float *y;
} mv_job;

static void add_bias(const float *b, int r0, int r1, float *y)
{
    if (b)
        for (int r = r0; r < r1; r++) y[r] += b[r];
}

static void f32_part(void *arg, int part, int n)
{
    const mv_job *j = arg;
    int r0, r1;
    nn_pool_range(j->out, part, n, 16, &r0, &r1);
#if HAVE_X86
    if (use_avx2()) rows_f32_avx2(j->W, r0, r1, j->in, j->x, j->y);
    else rows_f32_scalar(j->W, r0, r1, j->in, j->x, j->y);
#else
    rows_f32_scalar(j->W, r0, r1, j->in, j->x, j->y);
#endif
    add_bias(j->b, r0, r1, j->y);
}

void nn_matvec(nn_pool *p, const float *W, const float *b, int out, int in, const float *x,
               float *y)
{
    mv_job j = {.W = W, .b = b, .x = x, .out = out, .in = in, .y = y};
    nn_pool_run((long)out * in >= PARALLEL_MIN_WEIGHTS ? p : NULL, f32_part, &j);
}

/* ---- 8-bit weights --------------------------------------------------------- */

bool nn_q8_quantize(const float *W, int rows, int cols, nn_q8 *m)
{
    memset(m, 0, sizeof *m);
    m->q = malloc((size_t)rows * cols);
    m->scale = malloc((size_t)rows * sizeof(float));
    if (!m->q || !m->scale) {
        nn_q8_free(m);
        return false;
    }
    m->rows = rows;
    m->cols = cols;
    for (int r = 0; r < rows; r++) {
        const float *w = W + (size_t)r * cols;
        float mx = 0;
        for (int c = 0; c < cols; c++) mx = fmaxf(mx, fabsf(w[c]));
        float s = mx > 0 ? mx / 127.0f : 1.0f;
        m->scale[r] = s;
        int8_t *q = m->q + (size_t)r * cols;
        for (int c = 0; c < cols; c++) {
            long v = lrintf(w[c] / s);
            q[c] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
        }
    }
    return true;
}

void nn_q8_free(nn_q8 *m)
{
    free(m->q);
    free(m->scale);
    memset(m, 0, sizeof *m);
}

static void rows_q8_scalar(const nn_q8 *m, int r0, int r1, const float *x, float *y)
{
    int in = m->cols;
    for (int r = r0; r < r1; r++) {
        const int8_t *q = m->q + (size_t)r * in;
        float s = 0;
        for (int c = 0; c < in; c++) s += (float)q[c] * x[c];
        y[r] = s * m->scale[r];
    }
}

#if HAVE_X86
/* 16 weights of one row against x: two 8-lane FMAs after widening. */
__attribute__((target("avx2,fma"))) static inline __m256 q8_fma16(const int8_t *q, __m256 x0,
                                                                   __m256 x1, __m256 *acc_hi,
                                                                   __m256 acc)
{
    __m128i v = _mm_loadu_si128((const __m128i *)q);
    __m256 w0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v));
    __m256 w1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)));
    *acc_hi = _mm256_fmadd_ps(w1, x1, *acc_hi);
    return _mm256_fmadd_ps(w0, x0, acc);
}

__attribute__((target("avx2,fma"))) static void rows_q8_avx2(const nn_q8 *m, int r0, int r1,
                                                              const float *x, float *y)
{
    int in = m->cols, c16 = in & ~15, r = r0;
    for (; r + 4 <= r1; r += 4) {
        const int8_t *q0 = m->q + (size_t)r * in, *q1 = q0 + in, *q2 = q1 + in, *q3 = q2 + in;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int c = 0; c < c16; c += 16) {
            __m256 x0 = _mm256_loadu_ps(x + c), x1 = _mm256_loadu_ps(x + c + 8);
            a0 = q8_fma16(q0 + c, x0, x1, &b0, a0);
            a1 = q8_fma16(q1 + c, x0, x1, &b1, a1);
            a2 = q8_fma16(q2 + c, x0, x1, &b2, a2);
            a3 = q8_fma16(q3 + c, x0, x1, &b3, a3);
        }
        float s[4] = {hsum256(_mm256_add_ps(a0, b0)), hsum256(_mm256_add_ps(a1, b1)),
                      hsum256(_mm256_add_ps(a2, b2)), hsum256(_mm256_add_ps(a3, b3))};
        const int8_t *qs[4] = {q0, q1, q2, q3};
        for (int k = 0; k < 4; k++) {
            for (int c = c16; c < in; c++) s[k] += (float)qs[k][c] * x[c];
            y[r + k] = s[k] * m->scale[r + k];
        }
    }
    rows_q8_scalar(m, r, r1, x, y);
}
#endif

static void q8_part(void *arg, int part, int n)
{
    const mv_job *j = arg;
    int r0, r1;
    nn_pool_range(j->q->rows, part, n, 16, &r0, &r1);
#if HAVE_X86
    if (use_avx2()) rows_q8_avx2(j->q, r0, r1, j->x, j->y);
    else rows_q8_scalar(j->q, r0, r1, j->x, j->y);
#else
    rows_q8_scalar(j->q, r0, r1, j->x, j->y);
#endif
    add_bias(j->b, r0, r1, j->y);
}

void nn_q8_matvec(nn_pool *p, const nn_q8 *m, const float *b, const float *x, float *y)
{
    mv_job j = {.q = m, .b = b, .x = x, .y = y};
    nn_pool_run((long)m->rows * m->cols >= PARALLEL_MIN_WEIGHTS ? p : NULL, q8_part, &j);
}
