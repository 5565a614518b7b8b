/* Bit-identical results whatever the thread count, the concurrency and the
 * memory placement: the nn ops cut their work into pieces that depend only
 * on the problem, and the library computes a piece the same way on any
 * thread and at any alignment. Each case computes the same product with 1,
 * 2 and 3 threads, from 3 threads at once (the shared pool is then busy,
 * so callers run the pieces themselves) and on inputs copied to
 * differently aligned buffers, and compares the bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nn/backend.h"
#include "nn/bf16.h"
#include "nn/conv.h"
#include "nn/matmul.h"
#include "nn/matvec.h"

static float *rand_vec(size_t n, uint32_t seed)
{
    float *v = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)(seed >> 8) / (float)(1u << 24) - 0.5f;
    }
    return v;
}

/* A copy of v at an address `shift` floats past a 64-byte boundary. */
static float *shifted_copy(const float *v, size_t n, int shift, void **base)
{
    char *p = aligned_alloc(64, (n + 16 + 15) / 16 * 16 * sizeof(float)); /* whole 64 B */
    *base = p;
    float *d = (float *)p + shift;
    memcpy(d, v, n * sizeof(float));
    return d;
}

/* ---- one case: an op on fixed inputs, run in every setting -------------- */

typedef struct op_case {
    void (*run)(const struct op_case *c, const float *const *in, float *out);
    const float *in[3];
    size_t in_n[3];
    int n_in;
    size_t out_n;
    /* op parameters */
    int M, N, K;
    bool ta, tb;
    nn_conv1d_params conv;
    int T;
} op_case;

typedef struct thread_arg {
    const op_case *c;
    float *out;
} thread_arg;

static void *run_thread(void *p)
{
    thread_arg *a = p;
    for (int rep = 0; rep < 3; rep++) a->c->run(a->c, a->c->in, a->out);
    return NULL;
}

static void check_case(const op_case *c)
{
    float *ref = malloc(c->out_n * sizeof(float)), *out = malloc(c->out_n * sizeof(float));
    nn_set_threads(1);
    c->run(c, c->in, ref);
    for (int t = 2; t <= 3; t++) {
        nn_set_threads(t);
        memset(out, 0, c->out_n * sizeof(float));
        c->run(c, c->in, out);
        assert_memory_equal(out, ref, c->out_n * sizeof(float));
    }
    /* three callers at once on a pool of 2: the one holding the pool splits
     * over it, the others run the same pieces inline */
    nn_set_threads(2);
    enum { CALLERS = 3 };
    pthread_t th[CALLERS];
    thread_arg args[CALLERS];
    for (int i = 0; i < CALLERS; i++) {
        args[i] = (thread_arg){c, calloc(c->out_n, sizeof(float))};
        assert_int_equal(pthread_create(&th[i], NULL, run_thread, &args[i]), 0);
    }
    for (int i = 0; i < CALLERS; i++) {
        pthread_join(th[i], NULL);
        assert_memory_equal(args[i].out, ref, c->out_n * sizeof(float));
        free(args[i].out);
    }
    /* inputs at other alignments */
    for (int shift = 1; shift < 16; shift += 7) {
        void *bases[3];
        const float *in[3];
        for (int i = 0; i < c->n_in; i++)
            in[i] = shifted_copy(c->in[i], c->in_n[i], shift, &bases[i]);
        c->run(c, in, out);
        assert_memory_equal(out, ref, c->out_n * sizeof(float));
        for (int i = 0; i < c->n_in; i++) free(bases[i]);
    }
    nn_set_threads(1);
    free(ref), free(out);
}

/* ---- the ops -------------------------------------------------------------- */

static void run_gemm(const op_case *c, const float *const *in, float *out)
{
    memcpy(out, in[2], c->out_n * sizeof(float)); /* beta = 0.5 reads C */
    nn_gemm(c->ta, c->tb, c->M, c->N, c->K, 0.75f, in[0], c->ta ? c->M : c->K, in[1],
            c->tb ? c->K : c->N, 0.5f, out, c->N);
}

static void gemm_case(int M, int N, int K, bool ta, bool tb)
{
    op_case c = {.run = run_gemm, .n_in = 3, .M = M, .N = N, .K = K, .ta = ta, .tb = tb};
    c.in_n[0] = (size_t)M * K, c.in_n[1] = (size_t)K * N, c.in_n[2] = c.out_n = (size_t)M * N;
    for (int i = 0; i < 3; i++) c.in[i] = rand_vec(c.in_n[i], 11 + i + M);
    check_case(&c);
    for (int i = 0; i < 3; i++) free((void *)c.in[i]);
}

static void test_gemm_identical(void **st)
{
    (void)st;
    /* split by columns and by rows, ragged last pieces, transposes, and a
     * product too small to split */
    gemm_case(256, 344, 1024, false, false);
    gemm_case(1536, 344, 256, false, false);
    gemm_case(200, 1000, 77, true, false);
    gemm_case(333, 129, 190, false, true);
    gemm_case(48, 40, 30, false, false);
}

static void run_conv(const op_case *c, const float *const *in, float *out)
{
    assert_true(nn_conv1d(&c->conv, in[0], c->T, in[1], in[2], out));
}

static void conv_case(int cin, int cout, int k, int dil, int T)
{
    op_case c = {.run = run_conv, .n_in = 3, .T = T,
                 .conv = {.cin = cin, .cout = cout, .kernel = k, .stride = 1, .dilation = dil,
                          .pad_left = dil * (k - 1) / 2, .pad_right = dil * (k - 1) / 2,
                          .groups = 1}};
    c.in_n[0] = (size_t)cin * T, c.in_n[1] = (size_t)cout * cin * k, c.in_n[2] = (size_t)cout;
    c.out_n = (size_t)cout * nn_conv1d_out_len(&c.conv, T);
    for (int i = 0; i < 3; i++) c.in[i] = rand_vec(c.in_n[i], 31 + i);
    check_case(&c);
    for (int i = 0; i < 3; i++) free((void *)c.in[i]);
}

static void test_conv_identical(void **st)
{
    (void)st;
    conv_case(64, 64, 3, 1, 900);  /* im2col + GEMM */
    conv_case(128, 96, 11, 3, 700); /* wide enough for the FFT method */
}

static void run_matvec(const op_case *c, const float *const *in, float *out)
{
    nn_q8 q;
    assert_true(nn_q8_quantize(in[0], c->M, c->K, &q));
    nn_pool *p = nn_pool_new(nn_get_threads());
    nn_matvec_item it[2] = {{.W = in[0], .b = in[2], .out = c->M, .y = out},
                            {.q8 = &q, .out = c->M, .y = out + c->M}};
    nn_matvec_multi(p, it, 2, c->K, in[1]);
    nn_pool_free(p);
    nn_q8_free(&q);
}

static void test_matvec_identical(void **st)
{
    (void)st;
    /* rows not a multiple of the pieces or the kernels' row blocks */
    op_case c = {.run = run_matvec, .n_in = 3, .M = 301, .K = 1000};
    c.in_n[0] = (size_t)c.M * c.K, c.in_n[1] = (size_t)c.K, c.in_n[2] = (size_t)c.M;
    c.out_n = 2 * (size_t)c.M;
    for (int i = 0; i < 3; i++) c.in[i] = rand_vec(c.in_n[i], 41 + i);
    check_case(&c);
    for (int i = 0; i < 3; i++) free((void *)c.in[i]);
}

/* ---- bf16 ----------------------------------------------------------------- */

static void test_bf16_rounding(void **st)
{
    (void)st;
    const float v[] = {1.0f, 1.00390625f /* halfway: stays even */, 1.01171875f /* rounds up */,
                       -3.5f, 0.0f};
    uint16_t h[5];
    float back[5];
    nn_bf16_from_f32(v, h, 5);
    nn_bf16_to_f32(h, back, 5);
    assert_true(back[0] == 1.0f && back[1] == 1.0f && back[2] == 1.015625f);
    assert_true(back[3] == -3.5f && back[4] == 0.0f);
}

/* bf16 products (where the CPU has them) are close to fp32 and identical
 * run to run. */
static void test_bf16_gemm(void **st)
{
    (void)st;
    if (!nn_backend_has_bf16()) skip();
    enum { M = 70, N = 90, K = 300 };
    float *A = rand_vec(M * K, 5), *B = rand_vec(K * N, 6), *C = malloc(sizeof(float) * M * N),
          *C2 = malloc(sizeof(float) * M * N), *R = malloc(sizeof(float) * M * N);
    uint16_t *Ab = malloc(2 * M * K), *Bb = malloc(2 * K * N);
    nn_bf16_from_f32(A, Ab, M * K);
    nn_bf16_from_f32(B, Bb, K * N);
    assert_true(nn_backend_gemm_bf16(false, false, M, N, K, 1.0f, Ab, K, Bb, N, 0.0f, C, N));
    assert_true(nn_backend_gemm_bf16(false, false, M, N, K, 1.0f, Ab, K, Bb, N, 0.0f, C2, N));
    assert_memory_equal(C, C2, sizeof(float) * M * N);
    nn_backend_sgemm(false, false, M, N, K, 1.0f, A, K, B, N, 0.0f, R, N);
    for (int i = 0; i < M * N; i++) assert_true(fabsf(C[i] - R[i]) < 0.05f);
    free(A), free(B), free(C), free(C2), free(R), free(Ab), free(Bb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_identical),  cmocka_unit_test(test_conv_identical),
        cmocka_unit_test(test_matvec_identical), cmocka_unit_test(test_bf16_rounding),
        cmocka_unit_test(test_bf16_gemm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
