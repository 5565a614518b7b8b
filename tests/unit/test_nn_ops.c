/* Tensor-core ops against naive reference loops on random shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nn/conv_fft.h"
#include "nn/nn.h"
#include "nn/parallel.h"
#include "nn/vmath.h"

static uint64_t rng_state = 0x1234567887654321ull;
static double urand(void) /* [0,1) */
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}
static int irand(int lo, int hi) { return lo + (int)(urand() * (hi - lo + 1)); }
static float *rand_vec(size_t n, float scale)
{
    float *v = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) v[i] = (float)((urand() * 2.0 - 1.0) * scale);
    return v;
}
static double max_abs_diff(const float *a, const double *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > m || isnan(d)) m = isnan(d) ? INFINITY : d;
    }
    return m;
}

/* ---- gemm / linear / attention ------------------------------------------ */
static void test_gemm(void **st)
{
    (void)st;
    for (int it = 0; it < 20; it++) {
        int M = irand(1, 40), N = irand(1, 40), K = irand(1, 40);
        bool ta = urand() < 0.5, tb = urand() < 0.5;
        float alpha = (float)(urand() * 2), beta = (float)urand();
        float *A = rand_vec((size_t)M * K, 1), *B = rand_vec((size_t)K * N, 1);
        float *C = rand_vec((size_t)M * N, 1);
        double *ref = malloc(sizeof(double) * M * N);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < K; k++) {
                    double a = ta ? A[k * M + i] : A[i * K + k];
                    double b = tb ? B[j * K + k] : B[k * N + j];
                    s += a * b;
                }
                ref[i * N + j] = alpha * s + beta * C[i * N + j];
            }
        nn_gemm(ta, tb, M, N, K, alpha, A, ta ? M : K, B, tb ? K : N, beta, C, N);
        assert_true(max_abs_diff(C, ref, (size_t)M * N) < 1e-4);
        free(A), free(B), free(C), free(ref);
    }
}

static void test_linear(void **st)
{
    (void)st;
    for (int it = 0; it < 10; it++) {
        int n = irand(1, 30), in = irand(1, 50), out = irand(1, 50);
        bool bias = it % 2;
        float *x = rand_vec((size_t)n * in, 1), *w = rand_vec((size_t)out * in, 1);
        float *b = rand_vec((size_t)out, 1), *y = malloc(sizeof(float) * n * out);
        double *ref = malloc(sizeof(double) * n * out);
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) {
                double s = bias ? b[o] : 0.0;
                for (int k = 0; k < in; k++) s += (double)x[i * in + k] * w[o * in + k];
                ref[i * out + o] = s;
            }
        nn_linear(x, n, in, w, bias ? b : NULL, out, y);
        assert_true(max_abs_diff(y, ref, (size_t)n * out) < 1e-4);
        free(x), free(w), free(b), free(y), free(ref);
    }
}

static void test_attention(void **st)
{
    (void)st;
    for (int it = 0; it < 8; it++) {
        int Tq = irand(1, 12), Tk = irand(1, 12), H = irand(1, 4), D = irand(1, 8);
        int HD = H * D;
        bool use_bias = it % 2;
        float *q = rand_vec((size_t)Tq * HD, 1), *k = rand_vec((size_t)Tk * HD, 1);
        float *v = rand_vec((size_t)Tk * HD, 1);
        float *bias = rand_vec((size_t)H * Tq * Tk, 1);
        if (use_bias) bias[0] = -INFINITY; /* a masked position */
        float *out = malloc(sizeof(float) * Tq * HD);
        double *ref = malloc(sizeof(double) * Tq * HD);
        double *p = malloc(sizeof(double) * Tk);
        float scale = 1.0f / sqrtf((float)D);
        for (int h = 0; h < H; h++)
            for (int i = 0; i < Tq; i++) {
                double m = -INFINITY, sum = 0;
                for (int j = 0; j < Tk; j++) {
                    double s = 0;
                    for (int d = 0; d < D; d++) s += (double)q[i * HD + h * D + d] * k[j * HD + h * D + d];
                    s *= scale;
                    if (use_bias) s += bias[(size_t)h * Tq * Tk + i * Tk + j];
                    p[j] = s;
                    if (s > m) m = s;
                }
                for (int j = 0; j < Tk; j++) sum += (p[j] = (m == -INFINITY) ? 0 : exp(p[j] - m));
                for (int d = 0; d < D; d++) {
                    double o = 0;
                    for (int j = 0; j < Tk; j++) o += (sum > 0 ? p[j] / sum : 0) * v[j * HD + h * D + d];
                    ref[i * HD + h * D + d] = o;
                }
            }
        assert_true(nn_attention(q, HD, k, HD, v, HD, Tq, Tk, H, D, scale,
                                 use_bias ? bias : NULL, (size_t)Tq * Tk, out));
        assert_true(max_abs_diff(out, ref, (size_t)Tq * HD) < 1e-5);
        free(q), free(k), free(v), free(bias), free(out), free(ref), free(p);
    }
}

/* ---- convolutions -------------------------------------------------------- */
static void test_conv1d(void **st)
{
    (void)st;
    for (int it = 0; it < 40; it++) {
        nn_conv1d_params p = {.groups = irand(1, 3), .kernel = irand(1, 7),
                              .stride = irand(1, 3), .dilation = irand(1, 3),
                              .pad_left = irand(0, 4), .pad_right = irand(0, 4)};
        p.cin = p.groups * irand(1, 5);
        p.cout = p.groups * irand(1, 5);
        if (it < 4) p.kernel = 1, p.stride = 1, p.pad_left = p.pad_right = 0; /* pointwise */
        int T = irand(1, 60);
        if (it == 5) T = 3000; /* more than one time chunk */
        int To = nn_conv1d_out_len(&p, T);
        if (To <= 0) continue;
        int cg = p.cin / p.groups, og = p.cout / p.groups;
        float *x = rand_vec((size_t)p.cin * T, 1);
        float *w = rand_vec((size_t)p.cout * cg * p.kernel, 1);
        float *b = rand_vec((size_t)p.cout, 1);
        float *y = malloc(sizeof(float) * p.cout * To);
        double *ref = malloc(sizeof(double) * p.cout * To);
        for (int co = 0; co < p.cout; co++) {
            int g = co / og;
            for (int t = 0; t < To; t++) {
                double s = b[co];
                for (int ci = 0; ci < cg; ci++)
                    for (int j = 0; j < p.kernel; j++) {
                        int src = t * p.stride + j * p.dilation - p.pad_left;
                        if (src >= 0 && src < T)
                            s += (double)w[(co * cg + ci) * p.kernel + j] * x[(g * cg + ci) * T + src];
                    }
                ref[co * To + t] = s;
            }
        }
        assert_true(nn_conv1d(&p, x, T, w, b, y));
        assert_true(max_abs_diff(y, ref, (size_t)p.cout * To) < 1e-4);
        free(x), free(w), free(b), free(y), free(ref);
    }
}

/* The frequency-domain path against the direct one: dilations, paddings,
 * FFT sizes, lengths that leave a partial last block and several chunks. */
static void test_conv1d_fft(void **st)
{
    (void)st;
    for (int it = 0; it < 12; it++) {
        nn_conv1d_params p = {.groups = 1, .stride = 1, .kernel = irand(1, 11),
                              .dilation = irand(1, 5), .cin = irand(1, 9), .cout = irand(1, 9)};
        int S = p.dilation * (p.kernel - 1) + 1;
        p.pad_left = irand(0, S), p.pad_right = irand(0, S);
        int n_fft = 16;
        while (n_fft < S + irand(1, 40)) n_fft *= 2;
        int T = irand(1, it == 0 ? 20000 : 600);
        int To = nn_conv1d_out_len(&p, T);
        if (To <= 0) continue;
        float *x = rand_vec((size_t)p.cin * T, 1);
        float *w = rand_vec((size_t)p.cout * p.cin * p.kernel, 1);
        float *b = rand_vec((size_t)p.cout, 1);
        float *y = malloc(sizeof(float) * p.cout * To);
        double *ref = malloc(sizeof(double) * p.cout * To);
        for (int co = 0; co < p.cout; co++)
            for (int t = 0; t < To; t++) {
                double s = b[co];
                for (int ci = 0; ci < p.cin; ci++)
                    for (int j = 0; j < p.kernel; j++) {
                        int src = t + j * p.dilation - p.pad_left;
                        if (src >= 0 && src < T)
                            s += (double)w[(co * p.cin + ci) * p.kernel + j] * x[ci * T + src];
                    }
                ref[co * To + t] = s;
            }
        assert_true(nn_conv1d_fft(&p, x, T, w, b, y, n_fft));
        assert_true(max_abs_diff(y, ref, (size_t)p.cout * To) < 1e-4);
        free(x), free(w), free(b), free(y), free(ref);
    }
    /* the automatic choice picks it for wide long-kernel convs only */
    nn_conv1d_params wide = {.cin = 128, .cout = 128, .kernel = 11, .stride = 1,
                             .dilation = 3, .pad_left = 15, .pad_right = 15, .groups = 1};
    assert_true(nn_conv1d_fft_size(&wide, 5000) > 0);
    wide.kernel = 3, wide.dilation = 1;
    assert_int_equal(nn_conv1d_fft_size(&wide, 5000), 0);
    wide.kernel = 11, wide.stride = 2;
    assert_int_equal(nn_conv1d_fft_size(&wide, 5000), 0);
}

static void test_conv_transpose1d(void **st)
{
    (void)st;
    for (int it = 0; it < 30; it++) {
        nn_conv_transpose1d_params p = {.cin = irand(1, 6), .cout = irand(1, 6),
                                        .kernel = irand(1, 8), .stride = irand(1, 4),
                                        .dilation = irand(1, 2)};
        p.padding = irand(0, (p.kernel - 1) / 2);
        p.output_padding = irand(0, p.stride - 1);
        int T = irand(1, 40);
        if (it == 3) T = 5000;
        int To = nn_conv_transpose1d_out_len(&p, T);
        if (To <= 0) continue;
        float *x = rand_vec((size_t)p.cin * T, 1);
        float *w = rand_vec((size_t)p.cin * p.cout * p.kernel, 1);
        float *b = rand_vec((size_t)p.cout, 1);
        float *y = malloc(sizeof(float) * p.cout * To);
        double *ref = calloc((size_t)p.cout * To, sizeof(double));
        for (int co = 0; co < p.cout; co++)
            for (int o = 0; o < To; o++) ref[co * To + o] = b[co];
        for (int ci = 0; ci < p.cin; ci++)
            for (int t = 0; t < T; t++)
                for (int co = 0; co < p.cout; co++)
                    for (int j = 0; j < p.kernel; j++) {
                        int o = t * p.stride + j * p.dilation - p.padding;
                        if (o >= 0 && o < To)
                            ref[co * To + o] += (double)x[ci * T + t] * w[(ci * p.cout + co) * p.kernel + j];
                    }
        assert_true(nn_conv_transpose1d(&p, x, T, w, b, y));
        assert_true(max_abs_diff(y, ref, (size_t)p.cout * To) < 1e-4);
        free(x), free(w), free(b), free(y), free(ref);
    }
}

static void test_padding(void **st)
{
    (void)st;
    float x[] = {1, 2, 3, 4, 10, 20, 30, 40};
    float y[2 * 9];
    assert_true(nn_pad_reflect(x, 2, 4, 3, 2, y));
    float want[] = {4, 3, 2, 1, 2, 3, 4, 3, 2, 40, 30, 20, 10, 20, 30, 40, 30, 20};
    assert_memory_equal(y, want, sizeof want);
    assert_false(nn_pad_reflect(x, 2, 4, 4, 0, y)); /* pad must be < T */
    float z[2 * 6];
    nn_pad_const(x, 2, 4, 1, 1, -1.0f, z);
    float wz[] = {-1, 1, 2, 3, 4, -1, -1, 10, 20, 30, 40, -1};
    assert_memory_equal(z, wz, sizeof wz);
    nn_pad_replicate(x, 2, 4, 1, 1, z);
    float wr[] = {1, 1, 2, 3, 4, 4, 10, 10, 20, 30, 40, 40};
    assert_memory_equal(z, wr, sizeof wr);
}

/* ---- elementwise / activations ------------------------------------------ */
typedef double (*ref_fn)(double);
static double r_relu(double x) { return x > 0 ? x : 0; }
static double r_lrelu(double x) { return x > 0 ? x : 0.1 * x; }
static double r_elu(double x) { return x > 0 ? x : exp(x) - 1; }
static double r_sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double r_silu(double x) { return x / (1 + exp(-x)); }
static double r_mish(double x) { return x * tanh(log1p(exp(x))); }
static double r_gelu(double x) { return 0.5 * x * (1 + erf(x / sqrt(2.0))); }
static double r_gelu_tanh(double x)
{
    return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}

static void check_act(void (*f)(const float *, float *, size_t), ref_fn r)
{
    size_t n = (size_t)irand(1, 500);
    float *x = rand_vec(n, 8), *y = malloc(n * sizeof(float));
    double *ref = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) ref[i] = r(x[i]);
    f(x, y, n);
    assert_true(max_abs_diff(y, ref, n) < 1e-5);
    f(x, x, n); /* in place gives the same */
    assert_memory_equal(x, y, n * sizeof(float));
    free(x), free(y), free(ref);
}
static void lrelu01(const float *x, float *y, size_t n) { nn_leaky_relu(x, y, n, 0.1f); }
static void elu1(const float *x, float *y, size_t n) { nn_elu(x, y, n, 1.0f); }

static void test_activations(void **st)
{
    (void)st;
    check_act(nn_relu, r_relu);
    check_act(lrelu01, r_lrelu);
    check_act(elu1, r_elu);
    check_act(nn_tanh, tanh);
    check_act(nn_sigmoid, r_sigmoid);
    check_act(nn_silu, r_silu);
    check_act(nn_mish, r_mish);
    check_act(nn_gelu, r_gelu);
    check_act(nn_gelu_tanh, r_gelu_tanh);
}

static void test_snake(void **st)
{
    (void)st;
    int C = irand(1, 8), T = irand(1, 100);
    float *x = rand_vec((size_t)C * T, 3), *a = rand_vec((size_t)C, 2);
    float *y = malloc(sizeof(float) * C * T);
    double *ref = malloc(sizeof(double) * C * T);
    for (int c = 0; c < C; c++)
        for (int t = 0; t < T; t++) {
            double v = x[c * T + t], s = sin(v * a[c]);
            ref[c * T + t] = v + s * s / (a[c] + 1e-9);
        }
    nn_snake(x, y, C, T, a);
    assert_true(max_abs_diff(y, ref, (size_t)C * T) < 1e-3);
    free(x), free(a), free(y), free(ref);
}

static void test_elementwise(void **st)
{
    (void)st;
    size_t n = 37;
    float *a = rand_vec(n, 2), *b = rand_vec(n, 2), *y = malloc(n * sizeof(float));
    nn_add_to(y, a, b, n);
    for (size_t i = 0; i < n; i++) assert_float_equal(y[i], a[i] + b[i], 1e-6);
    nn_sub_to(y, a, b, n);
    for (size_t i = 0; i < n; i++) assert_float_equal(y[i], a[i] - b[i], 1e-6);
    memcpy(y, a, n * sizeof(float));
    nn_axpy(y, 0.5f, b, n);
    for (size_t i = 0; i < n; i++) assert_float_equal(y[i], a[i] + 0.5f * b[i], 1e-6);
    memcpy(y, a, n * sizeof(float));
    nn_mul(y, b, n);
    nn_scale(y, 2.0f, n);
    for (size_t i = 0; i < n; i++) assert_float_equal(y[i], 2 * a[i] * b[i], 1e-5);
    memcpy(y, a, n * sizeof(float));
    nn_clamp(y, -0.5f, 0.5f, n);
    for (size_t i = 0; i < n; i++) assert_float_equal(y[i], fmin(0.5, fmax(-0.5, a[i])), 0);
    memcpy(y, a, n * sizeof(float));
    nn_exp(y, n);
    for (size_t i = 0; i < n; i++) assert_float_equal(y[i], exp(a[i]), 1e-5);
    /* channel bias on [C][T] vs row bias on [n][d] */
    float x[6] = {0, 0, 0, 0, 0, 0}, bb[3] = {1, 2, 3};
    nn_add_channel_bias(x, 2, 3, bb);
    float w1[6] = {1, 1, 1, 2, 2, 2};
    assert_memory_equal(x, w1, sizeof w1);
    memset(x, 0, sizeof x);
    nn_add_row_bias(x, 2, 3, bb);
    float w2[6] = {1, 2, 3, 1, 2, 3};
    assert_memory_equal(x, w2, sizeof w2);
    int R = irand(1, 70), Cc = irand(1, 70);
    float *m = rand_vec((size_t)R * Cc, 1), *mt = malloc(sizeof(float) * R * Cc);
    nn_transpose(m, R, Cc, mt);
    for (int r = 0; r < R; r++)
        for (int c = 0; c < Cc; c++) assert_true(mt[c * R + r] == m[r * Cc + c]);
    free(a), free(b), free(y), free(m), free(mt);
}

static void test_vsin(void **st)
{
    (void)st;
    size_t n = 1000 + (size_t)irand(0, 40); /* vector body and scalar tail */
    float *x = rand_vec(n, 100), *y = malloc(n * sizeof(float));
    double *ref = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) ref[i] = sin((double)x[i]);
    nn_vsin(x, y, n);
    assert_true(max_abs_diff(y, ref, n) < 2e-6);
    nn_vsin(x, x, n); /* in place */
    assert_memory_equal(x, y, n * sizeof(float));
    free(x), free(y), free(ref);
}

typedef struct cover_ctx {
    int *hits;
    pthread_mutex_t lock;
    int calls;
} cover_ctx;

static void mark_range(void *p, int begin, int end)
{
    cover_ctx *c = p;
    for (int i = begin; i < end; i++) c->hits[i]++;
    pthread_mutex_lock(&c->lock);
    c->calls++;
    pthread_mutex_unlock(&c->lock);
}

static void test_parallel_for(void **st)
{
    (void)st;
    int hits[1000] = {0};
    cover_ctx c = {hits, PTHREAD_MUTEX_INITIALIZER, 0};
    for (int t = 1; t <= 3; t++) {
        nn_set_threads(t);
        memset(hits, 0, sizeof hits);
        c.calls = 0;
        nn_parallel_for(1000, 7, mark_range, &c);
        for (int i = 0; i < 1000; i++) assert_int_equal(hits[i], 1); /* each index once */
        assert_int_equal(c.calls, (1000 + 6) / 7); /* the pieces, whatever the threads */
        c.calls = 0;
        nn_parallel_for(10, 10, mark_range, &c); /* one piece */
        assert_int_equal(c.calls, 1);
        nn_parallel_for(0, 1, mark_range, &c);
        assert_int_equal(c.calls, 1);
    }
    assert_int_equal(nn_parallel_grain(1000, 4, 16), 63);
    assert_int_equal(nn_parallel_grain(20, 4, 16), 4);
    nn_set_threads(1);
}

/* ---- normalisation / softmax --------------------------------------------- */
static void test_layer_norm(void **st)
{
    (void)st;
    int n = irand(1, 10), d = irand(2, 64);
    float *x = rand_vec((size_t)n * d, 3), *g = rand_vec((size_t)d, 1), *b = rand_vec((size_t)d, 1);
    float *y = malloc(sizeof(float) * n * d);
    double *ref = malloc(sizeof(double) * n * d);
    for (int i = 0; i < n; i++) {
        double m = 0, v = 0;
        for (int j = 0; j < d; j++) m += x[i * d + j];
        m /= d;
        for (int j = 0; j < d; j++) v += pow(x[i * d + j] - m, 2);
        v /= d;
        for (int j = 0; j < d; j++) ref[i * d + j] = (x[i * d + j] - m) / sqrt(v + 1e-5) * g[j] + b[j];
    }
    nn_layer_norm(x, y, n, d, g, b, 1e-5f);
    assert_true(max_abs_diff(y, ref, (size_t)n * d) < 1e-4);
    free(x), free(g), free(b), free(y), free(ref);
}

static void test_group_norm(void **st)
{
    (void)st;
    int G = irand(1, 4), C = G * irand(1, 4), T = irand(1, 30);
    float *x = rand_vec((size_t)C * T, 3), *g = rand_vec((size_t)C, 1), *b = rand_vec((size_t)C, 1);
    float *y = malloc(sizeof(float) * C * T);
    double *ref = malloc(sizeof(double) * C * T);
    int cg = C / G;
    for (int gi = 0; gi < G; gi++) {
        double m = 0, v = 0;
        for (int c = gi * cg; c < (gi + 1) * cg; c++)
            for (int t = 0; t < T; t++) m += x[c * T + t];
        m /= cg * T;
        for (int c = gi * cg; c < (gi + 1) * cg; c++)
            for (int t = 0; t < T; t++) v += pow(x[c * T + t] - m, 2);
        v /= cg * T;
        for (int c = gi * cg; c < (gi + 1) * cg; c++)
            for (int t = 0; t < T; t++)
                ref[c * T + t] = (x[c * T + t] - m) / sqrt(v + 1e-5) * g[c] + b[c];
    }
    nn_group_norm(x, y, C, T, G, g, b, 1e-5f);
    assert_true(max_abs_diff(y, ref, (size_t)C * T) < 1e-4);
    free(x), free(g), free(b), free(y), free(ref);
}

static void test_softmax(void **st)
{
    (void)st;
    int n = irand(1, 8), d = irand(1, 100);
    float *x = rand_vec((size_t)n * d, 10), *y = malloc(sizeof(float) * n * d);
    double *sm = malloc(sizeof(double) * n * d), *lsm = malloc(sizeof(double) * n * d);
    x[0] = -INFINITY;
    for (int i = 0; i < n; i++) {
        double m = -INFINITY, s = 0;
        for (int j = 0; j < d; j++) m = fmax(m, x[i * d + j]);
        for (int j = 0; j < d; j++) s += exp(x[i * d + j] - m);
        for (int j = 0; j < d; j++) {
            sm[i * d + j] = exp(x[i * d + j] - m) / s;
            lsm[i * d + j] = x[i * d + j] - m - log(s);
        }
    }
    memcpy(y, x, sizeof(float) * n * d);
    nn_softmax_rows(y, n, d);
    assert_true(max_abs_diff(y, sm, (size_t)n * d) < 1e-6);
    memcpy(y, x, sizeof(float) * n * d);
    nn_log_softmax_rows(y, n, d);
    if (d > 1) { /* -inf stays -inf; compare the rest */
        assert_true(isinf(y[0]) && y[0] < 0);
        y[0] = 0, lsm[0] = 0;
    }
    assert_true(max_abs_diff(y, lsm, (size_t)n * d) < 1e-4);
    float allmask[3] = {-INFINITY, -INFINITY, -INFINITY};
    nn_softmax_rows(allmask, 1, 3);
    for (int j = 0; j < 3; j++) assert_true(allmask[j] == 0.0f);
    free(x), free(y), free(sm), free(lsm);
}

static void test_resample(void **st)
{
    (void)st;
    float x[4] = {1, 2, 5, 7}, y[12];
    nn_upsample_nearest(x, 2, 2, 3, y);
    float wn[12] = {1, 1, 1, 2, 2, 2, 5, 5, 5, 7, 7, 7};
    assert_memory_equal(y, wn, sizeof wn);
    /* torch: F.interpolate([[1,2]], size=4, mode='linear') = [1, 1.25, 1.75, 2] */
    nn_interp_linear(x, 1, 2, 4, y);
    float wl[4] = {1, 1.25f, 1.75f, 2};
    for (int i = 0; i < 4; i++) assert_float_equal(y[i], wl[i], 1e-6);
    /* same length is the identity; downsampling 4 -> 2 averages pairs */
    nn_interp_linear(x, 1, 4, 4, y);
    for (int i = 0; i < 4; i++) assert_float_equal(y[i], x[i], 1e-6);
    nn_interp_linear(x, 1, 4, 2, y);
    assert_float_equal(y[0], 1.5f, 1e-6);
    assert_float_equal(y[1], 6.0f, 1e-6);
}

/* ---- STFT ------------------------------------------------------------------ */
static void test_stft_forward(void **st)
{
    (void)st;
    const int nffts[] = {16, 12, 32};
    for (int c = 0; c < 3; c++) {
        int N = nffts[c], hop = N / 4, n = irand(N, 200), F = N / 2 + 1;
        nn_stft *s = nn_stft_new(N, hop, NULL, true);
        assert_non_null(s);
        int frames = nn_stft_frames(s, n);
        assert_int_equal(frames, n / hop + 1);
        float *x = rand_vec((size_t)n, 1), *re = malloc(sizeof(float) * F * frames),
              *im = malloc(sizeof(float) * F * frames);
        double *rre = malloc(sizeof(double) * F * frames), *rim = malloc(sizeof(double) * F * frames);
        for (int f = 0; f < frames; f++)
            for (int k = 0; k < F; k++) {
                double a = 0, b = 0;
                for (int i = 0; i < N; i++) {
                    int j = f * hop + i - N / 2; /* reflect padding */
                    if (j < 0) j = -j;
                    if (j >= n) j = 2 * (n - 1) - j;
                    double w = 0.5 - 0.5 * cos(2 * M_PI * i / N);
                    a += x[j] * w * cos(2 * M_PI * k * i / N);
                    b -= x[j] * w * sin(2 * M_PI * k * i / N);
                }
                rre[k * frames + f] = a, rim[k * frames + f] = b;
            }
        assert_true(nn_stft_forward(s, x, n, re, im));
        assert_true(max_abs_diff(re, rre, (size_t)F * frames) < 1e-4);
        assert_true(max_abs_diff(im, rim, (size_t)F * frames) < 1e-4);
        /* the inverse gives the signal back (hop*(frames-1) samples) */
        int len = nn_istft_length(s, frames);
        float *back = malloc(sizeof(float) * len);
        assert_true(nn_stft_inverse(s, re, im, frames, back));
        double *xd = malloc(sizeof(double) * len);
        for (int i = 0; i < len; i++) xd[i] = x[i];
        assert_true(max_abs_diff(back, xd, (size_t)len) < 1e-4);
        free(x), free(re), free(im), free(rre), free(rim), free(back), free(xd);
        nn_stft_free(s);
    }
}

/* ---- noise ----------------------------------------------------------------- */
static void test_noise(void **st)
{
    (void)st;
    nn_noise *d = nn_noise_det_new();
    float v[5], u[3] = {1, 1, 1};
    nn_noise_normal(d, v, 5, 0.5);
    for (int k = 0; k < 5; k++) assert_true(v[k] == (float)sin(12.9898 * k + 0.5));
    nn_noise_uniform(d, u, 3, -3.0f, 3.0f);
    for (int k = 0; k < 3; k++) assert_true(u[k] == 0.0f);
    nn_noise_free(d);

    enum { N = 200001 };
    float *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N);
    nn_noise *g1 = nn_noise_gaussian_new(42), *g2 = nn_noise_gaussian_new(42);
    nn_noise_normal(g1, a, N, 0.0);
    nn_noise_normal(g2, b, N, 1.25); /* salt is ignored: same seed, same draws */
    assert_memory_equal(a, b, sizeof(float) * N);
    double m = 0, var = 0;
    for (int i = 0; i < N; i++) m += a[i];
    m /= N;
    for (int i = 0; i < N; i++) var += (a[i] - m) * (a[i] - m);
    var /= N;
    assert_true(fabs(m) < 0.01 && fabs(var - 1.0) < 0.02);
    nn_noise_uniform(g1, a, N, -2.0f, 2.0f);
    m = 0;
    for (int i = 0; i < N; i++) {
        assert_true(a[i] >= -2.0f && a[i] <= 2.0f);
        m += a[i];
    }
    assert_true(fabs(m / N) < 0.02);
    nn_noise_free(g1), nn_noise_free(g2);
    free(a), free(b);
}

static void test_tensor(void **st)
{
    (void)st;
    nn_tensor t = nn_tensor_3d(2, 3, 4);
    assert_non_null(t.data);
    assert_int_equal(nn_tensor_numel(&t), 24);
    assert_true(t.data[23] == 0.0f);
    t.data[5] = 7.0f;
    assert_true(nn_row(&t, 1) == t.data + 12);
    nn_tensor c = nn_tensor_clone(&t);
    assert_true(c.data[5] == 7.0f && c.owned);
    assert_true(nn_tensor_reshape(&c, 2, (int[]){6, 4}));
    assert_false(nn_tensor_reshape(&c, 2, (int[]){5, 4}));
    nn_tensor v = nn_tensor_view(t.data, 1, (int[]){24});
    assert_false(v.owned);
    nn_tensor_free(&v);
    assert_null(v.data);
    assert_true(t.data[5] == 7.0f); /* the view did not free it */
    assert_null(nn_tensor_alloc(0, (int[]){1}).data);
    nn_tensor_free(&t), nn_tensor_free(&c);
    nn_set_threads(1);
    assert_int_equal(nn_get_threads(), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tensor),       cmocka_unit_test(test_gemm),
        cmocka_unit_test(test_linear),       cmocka_unit_test(test_attention),
        cmocka_unit_test(test_conv1d),       cmocka_unit_test(test_conv1d_fft),
        cmocka_unit_test(test_conv_transpose1d),
        cmocka_unit_test(test_padding),      cmocka_unit_test(test_activations),
        cmocka_unit_test(test_snake),        cmocka_unit_test(test_elementwise),
        cmocka_unit_test(test_layer_norm),   cmocka_unit_test(test_group_norm),
        cmocka_unit_test(test_softmax),      cmocka_unit_test(test_resample),
        cmocka_unit_test(test_stft_forward), cmocka_unit_test(test_noise),
        cmocka_unit_test(test_vsin),         cmocka_unit_test(test_parallel_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
