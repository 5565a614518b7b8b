/* The bf16 convolution on oneDNN's primitive (nn/conv_bf16.h) against the
 * direct sum on the same bf16-rounded operands: odd channel counts,
 * dilations, strides, paddings larger than the kernel span, inputs shorter
 * than the span, no bias, lengths cut into several time pieces with a
 * ragged last one; thread-count independence; nn_conv1d's choice of it;
 * nn_conv1d_acc (y += conv) on every path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nn/bf16.h"
#include "nn/conv.h"
#include "nn/conv_bf16.h"
#include "nn/conv_fft.h"
#include "nn/matmul.h"
#include "nn/weights.h"

static uint64_t rng_state = 0x5eed5eed12345678ull;
static double urand(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}
static int irand(int lo, int hi) { return lo + (int)(urand() * (hi - lo + 1)); }
static float *rand_vec(size_t n)
{
    float *v = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) v[i] = (float)(urand() * 2.0 - 1.0);
    return v;
}
static void round_bf16(float *v, size_t n)
{
    uint16_t *h = malloc((n ? n : 1) * sizeof(uint16_t));
    nn_bf16_from_f32(v, h, n);
    nn_bf16_to_f32(h, v, n);
    free(h);
}

/* y from nn_conv1d_bf16 against a double-precision sum over the rounded x
 * and w: the products are exact, only float32 accumulation differs. */
static void check_shape(nn_conv1d_params p, int T, bool bias)
{
    const int To = nn_conv1d_out_len(&p, T);
    assert_true(To > 0);
    const size_t nw = (size_t)p.cout * p.cin * p.kernel;
    float *x = rand_vec((size_t)p.cin * T), *w = rand_vec(nw), *b = rand_vec(p.cout);
    float *y = malloc(sizeof(float) * p.cout * To);
    assert_true(nn_weights_add(w, nw));
    const uint16_t *wb = nn_weights_bf16(w, nw);
    assert_non_null(wb);
    bool done = nn_conv1d_bf16(&p, x, T, wb, bias ? b : NULL, y, false) == NN_CONV_BF16_DONE;
    if (!done)
        print_error("cin %d cout %d k %d s %d d %d pad %d/%d T %d\n", p.cin, p.cout, p.kernel,
                    p.stride, p.dilation, p.pad_left, p.pad_right, T);
    assert_true(done);
    round_bf16(x, (size_t)p.cin * T);
    float *wr = malloc(sizeof(float) * nw);
    nn_bf16_to_f32(wb, wr, nw);
    double worst = 0.0;
    for (int co = 0; co < p.cout; co++)
        for (int t = 0; t < To; t++) {
            double s = bias ? b[co] : 0.0, mag = fabs(s);
            for (int ci = 0; ci < p.cin; ci++)
                for (int j = 0; j < p.kernel; j++) {
                    int src = t * p.stride + j * p.dilation - p.pad_left;
                    if (src < 0 || src >= T) continue;
                    double v = (double)wr[((size_t)co * p.cin + ci) * p.kernel + j] *
                               x[(size_t)ci * T + src];
                    s += v, mag += fabs(v);
                }
            double e = fabs(y[(size_t)co * To + t] - s) / (mag + 1e-6);
            if (e > worst || isnan(e)) worst = isnan(e) ? INFINITY : e;
        }
    nn_weights_remove(w);
    free(x), free(w), free(b), free(y), free(wr);
    assert_true(worst < 1e-5);
}

static void test_against_direct(void **st)
{
    (void)st;
    if (!nn_set_precision(NN_BF16)) skip(); /* no bf16 on this CPU (or limited) */
    /* a vocoder-like shape cut into several pieces, ragged last piece */
    check_shape((nn_conv1d_params){.cin = 37, .cout = 19, .kernel = 11, .stride = 1,
                                   .dilation = 5, .pad_left = 25, .pad_right = 25,
                                   .groups = 1},
                3001, true);
    /* input shorter than the kernel span, padding wider than it */
    check_shape((nn_conv1d_params){.cin = 5, .cout = 3, .kernel = 7, .stride = 1,
                                   .dilation = 3, .pad_left = 20, .pad_right = 2,
                                   .groups = 1},
                6, true);
    /* outputs that read padding only (the bias alone) */
    check_shape((nn_conv1d_params){.cin = 3, .cout = 4, .kernel = 3, .stride = 1,
                                   .dilation = 1, .pad_left = 9, .pad_right = 0,
                                   .groups = 1},
                2, true);
    check_shape((nn_conv1d_params){.cin = 17, .cout = 33, .kernel = 16, .stride = 8,
                                   .dilation = 1, .pad_left = 4, .pad_right = 4,
                                   .groups = 1},
                2500, false);
    for (int it = 0; it < 10; it++) {
        nn_conv1d_params p = {.groups = 1, .stride = irand(1, 3), .kernel = irand(1, 11),
                              .dilation = irand(1, 5), .cin = irand(1, 40),
                              .cout = irand(1, 40)};
        int S = p.dilation * (p.kernel - 1) + 1;
        p.pad_left = irand(0, S), p.pad_right = irand(0, S);
        int T = irand(1, it < 3 ? 4000 : 300);
        if (nn_conv1d_out_len(&p, T) <= 0) continue;
        check_shape(p, T, urand() < 0.7);
    }
    assert_true(nn_set_precision(NN_FP32));
}

/* The same bits at 1, 2 and 3 threads (pieces depend on the shape only). */
static void test_threads(void **st)
{
    (void)st;
    if (!nn_set_precision(NN_BF16)) skip();
    nn_conv1d_params p = {.cin = 64, .cout = 48, .kernel = 7, .stride = 1, .dilation = 3,
                          .pad_left = 9, .pad_right = 9, .groups = 1};
    const int T = 5000, To = nn_conv1d_out_len(&p, T);
    const size_t nw = (size_t)p.cout * p.cin * p.kernel, ny = (size_t)p.cout * To;
    float *x = rand_vec((size_t)p.cin * T), *w = rand_vec(nw), *b = rand_vec(p.cout);
    float *ref = malloc(sizeof(float) * ny), *y = malloc(sizeof(float) * ny);
    assert_true(nn_weights_add(w, nw));
    /* nn_conv1d picks the bf16 path for a registered weight of this size */
    assert_non_null(nn_conv1d_bf16_weight(&p, T, w));
    nn_set_threads(1);
    assert_true(nn_conv1d(&p, x, T, w, b, ref));
    for (int th = 2; th <= 3; th++) {
        nn_set_threads(th);
        memset(y, 0, sizeof(float) * ny);
        assert_true(nn_conv1d(&p, x, T, w, b, y));
        assert_memory_equal(y, ref, sizeof(float) * ny);
    }
    nn_set_threads(1);
    nn_weights_remove(w);
    /* unregistered, or under fp32, it is not taken */
    assert_null(nn_conv1d_bf16_weight(&p, T, w));
    assert_true(nn_set_precision(NN_FP32));
    assert_null(nn_conv1d_bf16_weight(&p, T, w));
    free(x), free(w), free(b), free(ref), free(y);
}

/* nn_conv1d_acc adds the convolution into y on each path: float32 im2col,
 * float32 FFT, bf16 primitive. */
static void check_acc(nn_conv1d_params p, int T, bool bf16)
{
    const int To = nn_conv1d_out_len(&p, T);
    const size_t nw = (size_t)p.cout * p.cin * p.kernel, ny = (size_t)p.cout * To;
    float *x = rand_vec((size_t)p.cin * T), *w = rand_vec(nw), *b = rand_vec(p.cout);
    float *y0 = rand_vec(ny), *y = malloc(sizeof(float) * ny), *c = malloc(sizeof(float) * ny);
    if (bf16) assert_true(nn_weights_add(w, nw));
    assert_true((nn_conv1d_bf16_weight(&p, T, w) != NULL) == bf16);
    memcpy(y, y0, sizeof(float) * ny);
    assert_true(nn_conv1d(&p, x, T, w, b, c));
    assert_true(nn_conv1d_acc(&p, x, T, w, b, y));
    double worst = 0.0;
    for (size_t i = 0; i < ny; i++) {
        double e = fabs((double)y[i] - ((double)y0[i] + c[i])) / (1.0 + fabs(c[i]));
        if (e > worst || isnan(e)) worst = isnan(e) ? INFINITY : e;
    }
    if (bf16) nn_weights_remove(w);
    free(x), free(w), free(b), free(y0), free(y), free(c);
    assert_true(worst < 1e-5);
}

static void test_accumulate(void **st)
{
    (void)st;
    nn_conv1d_params small = {.cin = 7, .cout = 5, .kernel = 3, .stride = 1, .dilation = 2,
                              .pad_left = 2, .pad_right = 2, .groups = 1};
    nn_conv1d_params wide = {.cin = 70, .cout = 66, .kernel = 11, .stride = 1,
                             .dilation = 3, .pad_left = 15, .pad_right = 15, .groups = 1};
    assert_true(nn_set_precision(NN_FP32));
    check_acc(small, 50, false);
    assert_true(nn_conv1d_fft_size(&wide, 1000) > 0); /* the FFT path */
    check_acc(wide, 1000, false);
    if (!nn_set_precision(NN_BF16)) skip();
    check_acc(wide, 1000, true);
    assert_true(nn_set_precision(NN_FP32));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_direct),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_accumulate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
