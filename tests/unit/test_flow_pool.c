/* Flow instance pool (model/flow_pool): instances are built only when every
 * existing one is busy, reused afterwards, and concurrent inferences through
 * the pool give the results of sequential ones. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/v1/flow_pool.h"
#include "model/io/pt_load.h"
#include "model/io/yaml_config.h"
#include "nn/noise.h"

static char golden[4096];
static yaml_config *Y;
static pt_dict W;
static flow_config CFG;

static int setup(void **state)
{
    (void)state;
    char path[4200];
    snprintf(path, sizeof path, "%s/cosyvoice.yaml", golden);
    cv_status st = yaml_config_load(path, &Y);
    if (!cv_is_ok(&st)) return -1;
    st = flow_config_from_yaml(Y, &CFG);
    if (!cv_is_ok(&st)) return -1;
    snprintf(path, sizeof path, "%s/flow.pt", golden);
    st = pt_load(path, &W);
    return cv_is_ok(&st) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pt_free(&W);
    yaml_config_free(Y);
    return 0;
}

static void test_build_on_demand_and_reuse(void **state)
{
    (void)state;
    flow_pool *p;
    assert_int_equal(flow_pool_new(&W, &CFG, &p).code, CV_OK);
    assert_int_equal(flow_pool_size(p), 1);
    cv_status st;
    flow_model *a = flow_pool_acquire(p, &st), *b = flow_pool_acquire(p, &st);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_int_equal(flow_pool_size(p), 2);
    flow_pool_release(p, a);
    flow_pool_release(p, b);
    flow_model *c = flow_pool_acquire(p, &st);
    assert_true(c == a || c == b); /* reused, not rebuilt */
    assert_int_equal(flow_pool_size(p), 2);
    flow_pool_release(p, c);
    flow_pool_free(p);
}

typedef struct job {
    flow_pool *p;
    int32_t tokens[60];
    float emb[192];
    flow_output out;
    cv_status st;
} job;

static void *infer(void *arg)
{
    job *j = arg;
    nn_noise *noise = nn_noise_det_new();
    flow_model *m = flow_pool_acquire(j->p, &j->st);
    if (m) {
        flow_input in = {.tokens = j->tokens, .n_tokens = 60, .embedding = j->emb};
        j->st = flow_inference(m, &in, noise, &j->out);
        flow_pool_release(j->p, m);
    }
    nn_noise_free(noise);
    return NULL;
}

static void test_concurrent_equals_sequential(void **state)
{
    (void)state;
    flow_pool *p;
    assert_int_equal(flow_pool_new(&W, &CFG, &p).code, CV_OK);
    job jobs[3];
    for (int k = 0; k < 3; k++) {
        memset(&jobs[k], 0, sizeof jobs[k]);
        jobs[k].p = p;
        for (int i = 0; i < 60; i++) jobs[k].tokens[i] = (i * 37 + k * 101) % 4096;
        for (int i = 0; i < 192; i++) jobs[k].emb[i] = (float)((i * (k + 3)) % 17) / 17.0f - 0.5f;
    }
    /* sequential reference for each job */
    flow_output ref[3];
    for (int k = 0; k < 3; k++) {
        infer(&jobs[k]);
        assert_int_equal(jobs[k].st.code, CV_OK);
        ref[k] = jobs[k].out;
        memset(&jobs[k].out, 0, sizeof jobs[k].out);
    }
    pthread_t th[3];
    for (int k = 0; k < 3; k++) pthread_create(&th[k], NULL, infer, &jobs[k]);
    for (int k = 0; k < 3; k++) pthread_join(th[k], NULL);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(jobs[k].st.code, CV_OK);
        assert_int_equal(jobs[k].out.mel_frames, ref[k].mel_frames);
        size_t n = (size_t)CFG.output_size * ref[k].mel_frames;
        for (size_t i = 0; i < n; i++)
            assert_float_equal(jobs[k].out.mel[i], ref[k].mel[i], 1e-4);
        flow_output_free(&jobs[k].out);
        flow_output_free(&ref[k]);
    }
    assert_true(flow_pool_size(p) >= 1 && flow_pool_size(p) <= 3);
    flow_pool_free(p);
}

int main(void)
{
    const char *src = getenv("CV_SOURCE_DIR");
    snprintf(golden, sizeof golden, "%s/tests/data/golden/cosyvoice-v1-tiny", src ? src : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_on_demand_and_reuse),
        cmocka_unit_test(test_concurrent_equals_sequential),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
