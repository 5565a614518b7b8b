#include "nn/ops.h"
#include "nn/vexp.h"
#include "nn/parallel.h"
#include "nn/vmath.h"

#include <math.h>
#include <string.h>

/* ---- elementwise ------------------------------------------------------- */
void nn_add(float *y, const float *a, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += a[i];
}
void nn_add_to(float *y, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}
void nn_sub_to(float *y, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = a[i] - b[i];
}
void nn_mul(float *y, const float *a, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] *= a[i];
}
void nn_axpy(float *y, float s, const float *a, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += s * a[i];
}
void nn_scale(float *y, float s, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] *= s;
}
void nn_fill(float *y, float v, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = v;
}
void nn_clamp(float *y, float lo, float hi, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = y[i] < lo ? lo : (y[i] > hi ? hi : y[i]);
}
void nn_exp(float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = expf(y[i]);
}
void nn_sin(float *y, size_t n) { nn_vsin(y, y, n); }
void nn_abs(float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = fabsf(y[i]);
}
void nn_add_channel_bias(float *x, int C, int T, const float *b)
{
    for (int c = 0; c < C; c++) {
        float *row = x + (size_t)c * T;
        for (int t = 0; t < T; t++) row[t] += b[c];
    }
}
void nn_add_row_bias(float *x, int n, int d, const float *b)
{
    for (int i = 0; i < n; i++) nn_add(x + (size_t)i * d, b, (size_t)d);
}
void nn_transpose(const float *src, int R, int C, float *dst)
{
    /* blocked so both sides stay in cache for large matrices */
    enum { B = 32 };
    for (int r0 = 0; r0 < R; r0 += B)
        for (int c0 = 0; c0 < C; c0 += B)
            for (int r = r0; r < R && r < r0 + B; r++)
                for (int c = c0; c < C && c < c0 + B; c++)
                    dst[(size_t)c * R + r] = src[(size_t)r * C + c];
}

/* ---- activations -------------------------------------------------------- */
void nn_relu(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
void nn_leaky_relu(const float *x, float *y, size_t n, float slope)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : x[i] * slope;
}
void nn_elu(const float *x, float *y, size_t n, float alpha)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : alpha * expm1f(x[i]);
}
void nn_tanh(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
}
void nn_sigmoid(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}
void nn_silu(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = x[i] / (1.0f + expf(-x[i]));
}
void nn_mish(const float *x, float *y, size_t n)
{
    /* tanh(softplus(x)) = ((1+e^x)^2 - 1) / ((1+e^x)^2 + 1) = m / (m + 2)
     * with m = e^x (e^x + 2): one exp instead of exp, log1p and tanh, and
     * that exp a vector at a time (nn_vexp). Above PyTorch's softplus
     * threshold 20 the factor is 1 in float. */
    enum { CHUNK = 256 };
    float e[CHUNK];
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        const size_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        for (size_t i = 0; i < m; i++) e[i] = x[i0 + i] > 20.0f ? 20.0f : x[i0 + i];
        nn_vexp(e, e, m);
        for (size_t i = 0; i < m; i++) {
            const float v = x[i0 + i], q = e[i] * (e[i] + 2.0f);
            y[i0 + i] = v > 20.0f ? v : v * (q / (q + 2.0f));
        }
    }
}
void nn_gelu(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}
void nn_gelu_tanh(const float *x, float *y, size_t n)
{
    const float k = 0.7978845608028654f; /* sqrt(2/pi) */
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = 0.5f * v * (1.0f + tanhf(k * (v + 0.044715f * v * v * v)));
    }
}
typedef struct snake_job {
    const float *x, *alpha;
    float *y;
    int T;
} snake_job;

static void snake_channels(void *ctx, int c0, int c1)
{
    const snake_job *j = ctx;
    const float *x = j->x, *alpha = j->alpha;
    float *y = j->y;
    const int T = j->T;
    for (int c = c0; c < c1; c++) { /* one vector pass per row (nn/vmath.h) */
        const float a = alpha[c], inv = 1.0f / (a + 1e-9f);
        nn_vsnake(x + (size_t)c * T, y + (size_t)c * T, (size_t)T, a, inv);
    }
}

void nn_snake(const float *x, float *y, int C, int T, const float *alpha)
{
    snake_job j = {x, alpha, y, T};
    /* split over channels only when each thread gets real work */
    int min_ch = T > 0 ? (1 << 16) / T + 1 : C;
    nn_parallel_for(C, min_ch, snake_channels, &j);
}

/* ---- normalisation ------------------------------------------------------ */
void nn_layer_norm(const float *x, float *y, int n, int d, const float *gamma,
                   const float *beta, float eps)
{
    for (int i = 0; i < n; i++) {
        const float *xr = x + (size_t)i * d;
        float *yr = y + (size_t)i * d;
        double mean = 0.0, var = 0.0;
        for (int j = 0; j < d; j++) mean += xr[j];
        mean /= d;
        for (int j = 0; j < d; j++) var += (xr[j] - mean) * (xr[j] - mean);
        var /= d;
        float m = (float)mean, rstd = (float)(1.0 / sqrt(var + eps));
        for (int j = 0; j < d; j++) {
            float v = (xr[j] - m) * rstd;
            if (gamma) v *= gamma[j];
            if (beta) v += beta[j];
            yr[j] = v;
        }
    }
}

void nn_rms_norm(const float *x, float *y, int n, int d, const float *w, float eps)
{
    for (int i = 0; i < n; i++) {
        const float *xr = x + (size_t)i * d;
        float *yr = y + (size_t)i * d;
        double ss = 0.0;
        for (int j = 0; j < d; j++) ss += (double)xr[j] * xr[j];
        /* torch.rsqrt of the float32 mean; the product order as there */
        float r = (float)(1.0 / sqrt((double)((float)(ss / d) + eps)));
        for (int j = 0; j < d; j++) {
            float v = xr[j] * r;
            yr[j] = w ? w[j] * v : v;
        }
    }
}

void nn_group_norm(const float *x, float *y, int C, int T, int groups,
                   const float *gamma, const float *beta, float eps)
{
    int cg = C / groups;
    for (int g = 0; g < groups; g++) {
        const float *xg = x + (size_t)g * cg * T;
        size_t cnt = (size_t)cg * T;
        double mean = 0.0, var = 0.0;
        for (size_t i = 0; i < cnt; i++) mean += xg[i];
        mean /= (double)cnt;
        for (size_t i = 0; i < cnt; i++) var += (xg[i] - mean) * (xg[i] - mean);
        var /= (double)cnt;
        float m = (float)mean, rstd = (float)(1.0 / sqrt(var + eps));
        for (int c = g * cg; c < (g + 1) * cg; c++) {
            float ga = gamma ? gamma[c] : 1.0f, be = beta ? beta[c] : 0.0f;
            const float *xr = x + (size_t)c * T;
            float *yr = y + (size_t)c * T;
            for (int t = 0; t < T; t++) yr[t] = (xr[t] - m) * rstd * ga + be;
        }
    }
}

/* ---- softmax ------------------------------------------------------------ */
static float row_max(const float *r, int d)
{
    float m = -INFINITY;
    for (int j = 0; j < d; j++)
        if (r[j] > m) m = r[j];
    return m;
}

/* One softmax row. The loops are written so that their vector form gives the
 * same bits as this scalar form: the maximum keeps the scalar comparison
 * (NaN skipped, the first of equal values kept; a -0/+0 choice cannot change
 * r - m or exp), subtraction and scaling are per element, and the eight
 * partial sums are the eight lanes of one 256-bit accumulator. */
static void softmax_row_scalar(float *r, int d)
{
    float m = row_max(r, d);
    if (m == -INFINITY) {
        memset(r, 0, (size_t)d * sizeof(float));
        return;
    }
    for (int j = 0; j < d; j++) r[j] -= m;
    nn_vexp(r, r, (size_t)d); /* vectorised: attention rows are long */
    /* eight partial sums: vectorisable and accurate enough for d terms in (0, 1] */
    float part[8] = {0};
    int j = 0;
    for (; j + 8 <= d; j += 8)
        for (int k = 0; k < 8; k++) part[k] += r[j + k];
    double sum = 0.0;
    for (int k = 0; k < 8; k++) sum += part[k];
    for (; j < d; j++) sum += r[j];
    float inv = (float)(1.0 / sum);
    for (j = 0; j < d; j++) r[j] *= inv;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#pragma GCC push_options
#pragma GCC target("avx2")
static void softmax_row_avx2(float *r, int d)
{
    /* maximum: lane-wise "x > m ? x : m", then the lanes in order, as above */
    __m256 mv = _mm256_set1_ps(-INFINITY);
    int j = 0;
    for (; j + 8 <= d; j += 8) {
        __m256 v = _mm256_loadu_ps(r + j);
        mv = _mm256_blendv_ps(mv, v, _mm256_cmp_ps(v, mv, _CMP_GT_OQ));
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, mv);
    float m = -INFINITY;
    for (int k = 0; k < 8; k++)
        if (lanes[k] > m) m = lanes[k];
    for (; j < d; j++)
        if (r[j] > m) m = r[j];
    if (m == -INFINITY) {
        memset(r, 0, (size_t)d * sizeof(float));
        return;
    }
    const __m256 mb = _mm256_set1_ps(m);
    for (j = 0; j + 8 <= d; j += 8) _mm256_storeu_ps(r + j, _mm256_sub_ps(_mm256_loadu_ps(r + j), mb));
    for (; j < d; j++) r[j] -= m;
    nn_vexp(r, r, (size_t)d);
    __m256 acc = _mm256_setzero_ps();
    for (j = 0; j + 8 <= d; j += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(r + j));
    float part[8];
    _mm256_storeu_ps(part, acc);
    double sum = 0.0;
    for (int k = 0; k < 8; k++) sum += part[k];
    for (; j < d; j++) sum += r[j];
    float inv = (float)(1.0 / sum);
    const __m256 ib = _mm256_set1_ps(inv);
    for (j = 0; j + 8 <= d; j += 8) _mm256_storeu_ps(r + j, _mm256_mul_ps(_mm256_loadu_ps(r + j), ib));
    for (; j < d; j++) r[j] *= inv;
}
#pragma GCC pop_options

typedef void (*softmax_row_fn)(float *, int);
static softmax_row_fn softmax_row_pick(void)
{
    static _Atomic(softmax_row_fn) impl = NULL; /* same answer from every thread */
    softmax_row_fn f = impl;
    if (!f) {
        __builtin_cpu_init();
        f = __builtin_cpu_supports("avx2") ? softmax_row_avx2 : softmax_row_scalar;
        impl = f;
    }
    return f;
}
#else
static void (*softmax_row_pick(void))(float *, int) { return softmax_row_scalar; }
#endif

void nn_softmax_rows(float *x, int n, int d)
{
    void (*row)(float *, int) = softmax_row_pick();
    for (int i = 0; i < n; i++) row(x + (size_t)i * d, d);
}

void nn_log_softmax_rows(float *x, int n, int d)
{
    for (int i = 0; i < n; i++) {
        float *r = x + (size_t)i * d;
        float m = row_max(r, d);
        if (m == -INFINITY) continue; /* all -inf stays -inf */
        double sum = 0.0;
        for (int j = 0; j < d; j++) sum += exp((double)(r[j] - m));
        float lse = m + (float)log(sum);
        for (int j = 0; j < d; j++) r[j] -= lse;
    }
}

/* ---- resampling --------------------------------------------------------- */
void nn_upsample_nearest(const float *x, int C, int T, int scale, float *y)
{
    for (int c = 0; c < C; c++) {
        const float *xr = x + (size_t)c * T;
        float *yr = y + (size_t)c * T * scale;
        for (int t = 0; t < T; t++)
            for (int s = 0; s < scale; s++) yr[(size_t)t * scale + s] = xr[t];
    }
}

void nn_interp_linear(const float *x, int C, int T, int Tout, float *y)
{
    /* PyTorch (align_corners=False, size given): src = (dst+0.5)*T/Tout-0.5,
     * clamped at 0; neighbours i0 and min(i0+1, T-1). */
    const float ratio = (float)T / (float)Tout;
    for (int t = 0; t < Tout; t++) {
        float src = ratio * (t + 0.5f) - 0.5f;
        if (src < 0.0f) src = 0.0f;
        int i0 = (int)src;
        if (i0 > T - 1) i0 = T - 1;
        int i1 = i0 + (i0 < T - 1 ? 1 : 0);
        float l1 = src - (float)i0, l0 = 1.0f - l1;
        for (int c = 0; c < C; c++) {
            const float *xr = x + (size_t)c * T;
            y[(size_t)c * Tout + t] = l0 * xr[i0] + l1 * xr[i1];
        }
    }
}
