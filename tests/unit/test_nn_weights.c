/* The bf16 weight registry (nn/weights.h): copies only under NN_BF16, found
 * by any address inside a registered matrix, reference-counted, gone after
 * the last remove; nn_gemm with a registered weight runs in bf16. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <cmocka.h>

#include "nn/backend.h"
#include "nn/bf16.h"
#include "nn/matmul.h"
#include "nn/weights.h"

static void test_fp32_registers_nothing(void **st)
{
    (void)st;
    assert_true(nn_set_precision(NN_FP32));
    float w[64] = {1.0f};
    assert_true(nn_weights_add(w, 64));
    assert_null(nn_weights_bf16(w, 64));
    nn_weights_remove(w);
}

static void test_registry(void **st)
{
    (void)st;
    if (!nn_set_precision(NN_BF16)) skip(); /* no bf16 on this CPU (or limited) */
    float *a = malloc(sizeof(float) * 1000), *b = malloc(sizeof(float) * 10);
    for (int i = 0; i < 1000; i++) a[i] = 1.0f + (float)i / 1024.0f;
    assert_true(nn_weights_add(a, 1000));
    assert_true(nn_weights_add(b, 10));
    assert_true(nn_weights_add(a, 1000)); /* a second model instance */
    const uint16_t *h = nn_weights_bf16(a + 100, 900); /* a slice to the end */
    assert_non_null(h);
    float back;
    nn_bf16_to_f32(h, &back, 1);
    assert_true(fabsf(back - a[100]) <= a[100] / 256.0f);
    assert_null(nn_weights_bf16(a + 100, 901)); /* runs past the matrix */
    assert_null(nn_weights_bf16(a + 1000, 1)); /* just after it */
    nn_weights_remove(a);
    assert_non_null(nn_weights_bf16(a, 1000)); /* one reference left */
    nn_weights_remove(a);
    assert_null(nn_weights_bf16(a, 1));
    assert_non_null(nn_weights_bf16(b, 10));
    nn_weights_remove(b);
    assert_null(nn_weights_bf16(b, 1));
    free(a), free(b);
    assert_true(nn_set_precision(NN_FP32));
}

/* A product with a registered weight moves (bf16 rounding) by about what
 * bf16 allows; the same product without registration is float32 exactly. */
static void test_gemm_uses_bf16(void **st)
{
    (void)st;
    if (!nn_set_precision(NN_BF16)) skip();
    enum { M = 128, N = 96, K = 256 };
    float *W = malloc(sizeof(float) * M * K), *X = malloc(sizeof(float) * K * N);
    float *y32 = malloc(sizeof(float) * M * N), *y16 = malloc(sizeof(float) * M * N),
          *y = malloc(sizeof(float) * M * N);
    for (int i = 0; i < M * K; i++) W[i] = sinf(0.37f * i);
    for (int i = 0; i < K * N; i++) X[i] = cosf(0.11f * i);
    nn_gemm(false, false, M, N, K, 1.0f, W, K, X, N, 0.0f, y32, N);
    assert_true(nn_weights_add(W, (size_t)M * K));
    nn_gemm(false, false, M, N, K, 1.0f, W, K, X, N, 0.0f, y16, N);
    double d = 0;
    for (int i = 0; i < M * N; i++) d = fmax(d, fabs(y16[i] - y32[i]));
    assert_true(d > 0 && d < 0.2); /* K = 256 terms of ~0.5, rounded to 8 bits */
    nn_weights_remove(W);
    nn_gemm(false, false, M, N, K, 1.0f, W, K, X, N, 0.0f, y, N);
    assert_memory_equal(y, y32, sizeof(float) * M * N);
    assert_true(nn_set_precision(NN_FP32));
    free(W), free(X), free(y32), free(y16), free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fp32_registers_nothing),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_gemm_uses_bf16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
