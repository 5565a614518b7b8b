/* Tests of the worker pool and the matrix-vector kernels against plain
 * double-precision loops, at sizes that exercise the vector bodies, their
 * tails and uneven splits between threads. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nn/head_dots.h"
#include "nn/matvec.h"
#include "nn/ops.h"
#include "nn/pool.h"

static void fill(float *v, size_t n, unsigned seed)
{
    unsigned short x[3] = {0x1234, (unsigned short)seed, (unsigned short)(seed >> 16)};
    for (size_t i = 0; i < n; i++) v[i] = (float)(2.0 * erand48(x) - 1.0);
}

typedef struct count_job {
    atomic_int hits[1000];
    atomic_int calls;
} count_job;

static void count_range(void *arg, int b, int e)
{
    count_job *j = arg;
    assert_true(b >= 0 && b < e && e <= 1000);
    for (int i = b; i < e; i++) atomic_fetch_add(&j->hits[i], 1);
    atomic_fetch_add(&j->calls, 1);
}

/* Every index is visited exactly once, in grain-sized chunks, over many
 * jobs in a row (the way decoding uses the pool). */
static void test_pool_covers_each_index_once(void **state)
{
    (void)state;
    static count_job j;
    for (int t = 1; t <= 4; t++) {
        nn_pool *p = nn_pool_new(t);
        assert_non_null(p);
        assert_int_equal(nn_pool_size(p), t);
        for (int rep = 0; rep < 300; rep++) {
            int n = 1 + (rep * 37) % 1000, grain = 1 + rep % 50;
            memset(&j, 0, sizeof j);
            nn_pool_for(p, n, grain, count_range, &j);
            for (int i = 0; i < 1000; i++) assert_int_equal(atomic_load(&j.hits[i]), i < n);
            int chunks = (n + grain - 1) / grain;
            assert_int_equal(atomic_load(&j.calls), chunks); /* the same pieces on any pool */
        }
        nn_pool_free(p);
    }
    memset(&j, 0, sizeof j);
    nn_pool_for(NULL, 10, 3, count_range, &j);
    assert_int_equal(atomic_load(&j.calls), 4);
    nn_pool_for(NULL, 0, 3, count_range, &j);
    assert_int_equal(atomic_load(&j.calls), 4);
}

static void check_f32(int out, int in, int threads)
{
    float *W = malloc(sizeof(float) * out * in), *x = malloc(sizeof(float) * in);
    float *b = malloc(sizeof(float) * out), *y = malloc(sizeof(float) * out);
    fill(W, (size_t)out * in, 1), fill(x, in, 2), fill(b, out, 3);
    nn_pool *p = nn_pool_new(threads);
    nn_matvec(p, W, b, out, in, x, y);
    for (int r = 0; r < out; r++) {
        double s = b[r];
        for (int c = 0; c < in; c++) s += (double)W[(size_t)r * in + c] * x[c];
        if (fabs(s - y[r]) > 1e-4 * (1 + sqrt((double)in)))
            fail_msg("f32 %dx%d row %d: %g vs %g", out, in, r, y[r], s);
    }
    nn_pool_free(p);
    free(W), free(x), free(b), free(y);
}

static void test_matvec_f32(void **state)
{
    (void)state;
    check_f32(1, 1, 1);
    check_f32(7, 13, 2);
    check_f32(37, 300, 3);
    check_f32(300, 1024, 2); /* large enough to be split over threads */
}

static void check_q8(int out, int in, int threads)
{
    float *W = malloc(sizeof(float) * out * in), *x = malloc(sizeof(float) * in);
    float *b = malloc(sizeof(float) * out), *y = malloc(sizeof(float) * out);
    fill(W, (size_t)out * in, 4), fill(x, in, 5), fill(b, out, 6);
    nn_q8 q;
    assert_true(nn_q8_quantize(W, out, in, &q));
    double xmax = 0;
    for (int c = 0; c < in; c++) xmax = fmax(xmax, fabs(x[c]));
    nn_pool *p = nn_pool_new(threads);
    nn_q8_matvec(p, &q, b, x, y);
    for (int r = 0; r < out; r++) {
        /* weight rounding: within half a step of the row's scale */
        double s = b[r], sx = 0;
        for (int c = 0; c < in; c++) {
            double w = W[(size_t)r * in + c], wq = q.q[(size_t)r * in + c] * (double)q.scale[r];
            assert_true(fabs(w - wq) <= (0.5 + 1e-4) * q.scale[r]);
            s += wq * x[c];
            sx += fabs(wq);
        }
        /* the product of the quantized weights; x may be rounded to 16 bits */
        double tol = 1e-4 * (1 + sqrt((double)in)) + sx * xmax / 32767.0;
        if (fabs(s - y[r]) > tol) fail_msg("q8 %dx%d row %d: %g vs %g", out, in, r, y[r], s);
    }
    nn_pool_free(p);
    nn_q8_free(&q);
    free(W), free(x), free(b), free(y);
}

static void test_matvec_q8(void **state)
{
    (void)state;
    check_q8(3, 5, 1);
    check_q8(9, 256, 2);
    check_q8(33, 1000, 3); /* blocks plus a tail */
    check_q8(256, 1024, 2);
    check_q8(41, 896, 2);  /* CosyVoice2's width: a shorter last block */
    check_q8(17, 903, 1);  /* and a few columns past it */
}

static void test_q8_zero_row_and_dot(void **state)
{
    (void)state;
    float W[2 * 4] = {0, 0, 0, 0, 1, -2, 3, -4}, x[4] = {1, 1, 1, 1}, y[2];
    nn_q8 q;
    assert_true(nn_q8_quantize(W, 2, 4, &q));
    nn_q8_matvec(NULL, &q, NULL, x, y);
    assert_true(y[0] == 0.0f);
    assert_true(fabsf(y[1] - (-2.0f)) < 0.05f);
    nn_q8_free(&q);
    float a[19], bb[19];
    fill(a, 19, 7), fill(bb, 19, 8);
    double s = 0;
    for (int i = 0; i < 19; i++) s += (double)a[i] * bb[i];
    assert_true(fabs(nn_dot(a, bb, 19) - s) < 1e-5);
}

/* Stacked products equal the products one by one, float32 and 8-bit mixed. */
static void test_matvec_multi(void **state)
{
    (void)state;
    enum { IN = 512 };
    int outs[3] = {40, 256, 7};
    float *W[3], *b[3], *y[3], *ref[3], x[IN];
    fill(x, IN, 9);
    nn_q8 q;
    nn_matvec_item it[3];
    for (int i = 0; i < 3; i++) {
        W[i] = malloc(sizeof(float) * outs[i] * IN);
        b[i] = malloc(sizeof(float) * outs[i]);
        y[i] = malloc(sizeof(float) * outs[i]);
        ref[i] = malloc(sizeof(float) * outs[i]);
        fill(W[i], (size_t)outs[i] * IN, 10 + i), fill(b[i], outs[i], 20 + i);
        it[i] = (nn_matvec_item){.W = W[i], .b = b[i], .out = outs[i], .y = y[i]};
    }
    assert_true(nn_q8_quantize(W[1], outs[1], IN, &q));
    it[1].q8 = &q;
    nn_pool *p = nn_pool_new(2);
    nn_matvec_multi(p, it, 3, IN, x);
    nn_matvec(NULL, W[0], b[0], outs[0], IN, x, ref[0]);
    nn_q8_matvec(NULL, &q, b[1], x, ref[1]);
    nn_matvec(NULL, W[2], b[2], outs[2], IN, x, ref[2]);
    for (int i = 0; i < 3; i++)
        for (int r = 0; r < outs[i]; r++) assert_true(y[i][r] == ref[i][r]);
    nn_pool_free(p);
    nn_q8_free(&q);
    for (int i = 0; i < 3; i++) free(W[i]), free(b[i]), free(y[i]), free(ref[i]);
}

/* A row's value does not depend on the rows around it: the kernels work on
 * blocks of rows and do the rows left over one by one, and a piece handed
 * to a thread may start anywhere, so every row must come out of either
 * path bit for bit the same. */
static void check_q8_rows_alone(int out, int in)
{
    float *W = malloc(sizeof(float) * out * in), *x = malloc(sizeof(float) * in);
    float *y = malloc(sizeof(float) * out);
    fill(W, (size_t)out * in, 31), fill(x, in, 32);
    nn_q8 q;
    assert_true(nn_q8_quantize(W, out, in, &q));
    nn_pool *p = nn_pool_new(2);
    nn_q8_matvec(p, &q, NULL, x, y);
    for (int r = 0; r < out; r++) {
        nn_q8 one = {.q = q.q + (size_t)r * in, .scale = q.scale + r, .rows = 1, .cols = in};
        float y1;
        nn_q8_matvec(NULL, &one, NULL, x, &y1);
        if (y1 != y[r]) fail_msg("q8 %dx%d row %d: %.9g alone, %.9g in a block", out, in, r, y1, y[r]);
    }
    /* the same rows as the second of two stacked products, so that the
     * pieces start at other rows of the matrix */
    float *y0 = malloc(sizeof(float) * 5), *y2 = malloc(sizeof(float) * out);
    nn_matvec_item it[2] = {{.W = W, .out = 5, .y = y0}, {.q8 = &q, .out = out, .y = y2}};
    nn_matvec_multi(p, it, 2, in, x);
    for (int r = 0; r < out; r++) assert_true(y2[r] == y[r]);
    nn_pool_free(p);
    nn_q8_free(&q);
    free(W), free(x), free(y), free(y0), free(y2);
}

static void test_q8_rows_independent_of_blocking(void **state)
{
    (void)state;
    check_q8_rows_alone(70, 1024);
    check_q8_rows_alone(39, 896);  /* a 128-column last block */
    check_q8_rows_alone(23, 1000); /* a 32-column step past the 64s, and a tail */
    check_q8_rows_alone(45, 4096);
}

/* An inf or NaN in x reaches every output (no 16-bit rounding of it into
 * a finite number). */
static void test_q8_nonfinite_input(void **state)
{
    (void)state;
    enum { OUT = 40, IN = 512 };
    float *W = malloc(sizeof(float) * OUT * IN), x[IN], y[OUT];
    fill(W, (size_t)OUT * IN, 41), fill(x, IN, 42);
    nn_q8 q;
    assert_true(nn_q8_quantize(W, OUT, IN, &q));
    x[300] = NAN;
    nn_q8_matvec(NULL, &q, NULL, x, y);
    for (int r = 0; r < OUT; r++) assert_true(isnan(y[r]));
    x[300] = INFINITY;
    nn_q8_matvec(NULL, &q, NULL, x, y);
    for (int r = 0; r < OUT; r++) assert_true(!isfinite(y[r]) || q.q[(size_t)r * IN + 300] == 0);
    nn_q8_free(&q);
    free(W);
}

/* The row-by-row attention products equal the head-by-head loops of
 * nn_dot and nn_axpy bit for bit, for any range of heads, grouped heads
 * and rows stored in descending order. */
static void check_head_dots(int H, int group, int dk, int n, bool descending)
{
    int kvh = H / group, d = kvh * dk;
    float *q = malloc(sizeof(float) * H * dk), *rows = malloc(sizeof(float) * n * d);
    float *out = malloc(sizeof(float) * H * n), *ctx = malloc(sizeof(float) * H * dk);
    float *ref = malloc(sizeof(float) * dk);
    fill(q, (size_t)H * dk, 51), fill(rows, (size_t)n * d, 52);
    const float *base = descending ? rows + (size_t)(n - 1) * d : rows;
    ptrdiff_t stride = descending ? -(ptrdiff_t)d : d;
    /* two ranges, as two threads would take them */
    int mid = H / 2;
    nn_head_dots(q, dk, 0, mid, group, dk, base, stride, n, out, n);
    nn_head_dots(q, dk, mid, H, group, dk, base, stride, n, out, n);
    for (int h = 0; h < H; h++)
        for (int t = 0; t < n; t++) {
            float r = nn_dot(q + (size_t)h * dk, base + t * stride + (size_t)(h / group) * dk, dk);
            if (r != out[(size_t)h * n + t]) fail_msg("dot head %d row %d: %.9g vs %.9g", h, t, out[(size_t)h * n + t], r);
        }
    nn_head_weighted_sum(out, n, 0, mid, group, dk, base, stride, n, ctx, dk);
    nn_head_weighted_sum(out, n, mid, H, group, dk, base, stride, n, ctx, dk);
    for (int h = 0; h < H; h++) {
        memset(ref, 0, sizeof(float) * dk);
        for (int t = 0; t < n; t++)
            nn_axpy(ref, out[(size_t)h * n + t], base + t * stride + (size_t)(h / group) * dk,
                    (size_t)dk);
        for (int c = 0; c < dk; c++)
            if (ref[c] != ctx[(size_t)h * dk + c]) fail_msg("sum head %d col %d", h, c);
    }
    free(q), free(rows), free(out), free(ctx), free(ref);
}

static void test_head_dots(void **state)
{
    (void)state;
    check_head_dots(16, 1, 64, 70, false); /* CosyVoice-300M's keys */
    check_head_dots(16, 1, 64, 70, true);  /* its relative positions, descending */
    check_head_dots(14, 7, 64, 33, false); /* Qwen2: 2 key heads for 14 query heads */
    check_head_dots(3, 1, 13, 5, true);    /* lengths that are not multiples of 8 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_covers_each_index_once),
        cmocka_unit_test(test_matvec_f32),
        cmocka_unit_test(test_matvec_q8),
        cmocka_unit_test(test_q8_zero_row_and_dot),
        cmocka_unit_test(test_matvec_multi),
        cmocka_unit_test(test_q8_rows_independent_of_blocking),
        cmocka_unit_test(test_q8_nonfinite_input),
        cmocka_unit_test(test_head_dots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
