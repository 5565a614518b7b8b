/* Vectorised exp / GELU against libm on lengths that exercise both the
 * vector body and the scalar tail, and softmax rows built on them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <cmocka.h>

#include "nn/ops.h"
#include "nn/vexp.h"

static void fill(float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)((i * 7919u) % 1000u) / 999.0f;
}

static void test_vexp(void **st) {
    (void)st;
    size_t lens[] = {1, 7, 16, 37, 1000};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t n = lens[k];
        float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
        fill(x, n, -80.0f, 80.0f);
        nn_vexp(x, y, n);
        for (size_t i = 0; i < n; i++) {
            double r = exp((double)x[i]);
            assert_true(fabs(y[i] - r) <= 4e-7 * r + 1e-38);
        }
        free(x), free(y);
    }
}

static void test_vgelu(void **st) {
    (void)st;
    size_t n = 1003;
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    fill(x, n, -12.0f, 12.0f);
    nn_vgelu(x, y, n);
    for (size_t i = 0; i < n; i++) {
        double v = x[i], r = 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
        assert_true(fabs(y[i] - r) <= 1e-6 * (fabs(r) + 1.0));
    }
    /* in place gives the same */
    nn_vgelu(x, x, n);
    for (size_t i = 0; i < n; i++) assert_true(x[i] == y[i]);
    free(x), free(y);
}

/* The tanh form (the DiT's FeedForward(approximate="tanh")) against the
 * formula in double, on the vector body and the scalar tail. */
static void test_vgelu_tanh(void **st) {
    (void)st;
    size_t n = 1003;
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    fill(x, n, -12.0f, 12.0f);
    nn_vgelu_tanh(x, y, n);
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        double r = 0.5 * v * (1.0 + tanh(sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
        assert_true(fabs(y[i] - r) <= 1e-6 * (fabs(r) + 1.0));
    }
    nn_vgelu_tanh(x, x, n);
    for (size_t i = 0; i < n; i++) assert_true(x[i] == y[i]);
    free(x), free(y);
}

static void test_softmax_rows(void **st) {
    (void)st;
    int n = 3, d = 45;
    float *x = malloc((size_t)n * d * sizeof(float));
    fill(x, (size_t)n * d, -30.0f, 30.0f);
    x[d + 4] = -1e10f; /* a masked key */
    for (int j = 0; j < d; j++) x[2 * d + j] = -INFINITY; /* fully masked row */
    double ref[45];
    for (int i = 0; i < 2; i++) {
        const float *r = x + (size_t)i * d;
        double m = -INFINITY, s = 0.0;
        for (int j = 0; j < d; j++) m = r[j] > m ? r[j] : m;
        for (int j = 0; j < d; j++) s += ref[j] = exp((double)r[j] - m);
        nn_softmax_rows(x + (size_t)i * d, 1, d);
        for (int j = 0; j < d; j++) assert_true(fabs(r[j] - ref[j] / s) < 1e-6);
    }
    assert_true(x[d + 4] == 0.0f);
    nn_softmax_rows(x + 2 * d, 1, d);
    for (int j = 0; j < d; j++) assert_true(x[2 * d + j] == 0.0f);
    free(x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vexp),
        cmocka_unit_test(test_vgelu),
        cmocka_unit_test(test_vgelu_tanh),
        cmocka_unit_test(test_softmax_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
