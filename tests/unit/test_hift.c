/* HiFT vocoder behaviour beyond the golden parity run (tools/parity):
 * configuration and checkpoint validation, the cached-source contract, the
 * frequency-domain convolutions against the direct ones inside the whole
 * model, and concurrent use of one model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/blocks/hift.h"
#include "random/hift_random.h"
#include "model/io/yaml_config.h"
#include "nn/conv_fft.h"
#include "nn/nn.h"

static char golden[4096];

static void tiny_config(hift_config *cfg)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cosyvoice.yaml", golden);
    yaml_config *y = NULL;
    cv_status st = yaml_config_load(path, &y);
    assert_int_equal(st.code, CV_OK);
    st = hift_config_from_yaml(y, cfg);
    assert_int_equal(st.code, CV_OK);
    yaml_config_free(y);
}

static void random_mel(float *mel, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        mel[i] = -8.0f + 10.0f * (float)((double)(seed >> 11) / 9007199254740992.0);
    }
}

static void test_config_from_yaml(void **st)
{
    (void)st;
    hift_config c;
    tiny_config(&c);
    assert_int_equal(c.n_stages, 2);
    assert_int_equal(c.upsample_rates[0] * c.upsample_rates[1] * c.hop, 256);
    assert_int_equal(c.n_kernels, 3);
    assert_int_equal(c.resblock_dilations[2][2], 5);
    assert_int_equal(c.sampling_rate, 22050);
    assert_true(fabsf(c.nsf_voiced_threshold - 10.0f) < 1e-6f);

    yaml_config *y = NULL;
    const char *bad = "hift: !new:x\n  base_channels: 32\n";
    cv_status s = yaml_config_load_memory(bad, strlen(bad), "bad.yaml", &y);
    assert_int_equal(s.code, CV_OK);
    s = hift_config_from_yaml(y, &c);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    yaml_config_free(y);
}

static void test_checkpoint_checked(void **st)
{
    (void)st;
    hift_config c;
    tiny_config(&c);
    char path[4200];
    snprintf(path, sizeof path, "%s/hift.pt", golden);
    pt_dict w = {0};
    cv_status s = pt_load(path, &w);
    assert_int_equal(s.code, CV_OK);

    hift_config wrong = c;
    wrong.base_channels *= 2; /* shapes no longer match */
    assert_null(hift_load(&wrong, &w, &s));
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "shape"));

    wrong = c;
    wrong.sampling_rate = 24000; /* SineGen2 territory */
    assert_null(hift_load(&wrong, &w, &s));
    assert_int_equal(s.code, CV_UNIMPLEMENTED);

    hift_model *m = hift_load(&c, &w, &s);
    assert_non_null(m);
    assert_int_equal(hift_samples_per_frame(m), 256);
    hift_free(m);
    pt_free(&w);

    m = hift_open(golden, &s); /* owns its weights */
    assert_non_null(m);
    assert_int_equal(hift_get_config(m)->base_channels, c.base_channels);
    hift_free(m);
    assert_null(hift_open("/nonexistent", &s));
    assert_int_not_equal(s.code, CV_OK);
}

/* hift_infer: the returned source starts with the cache; with a cache equal
 * to the model's own source prefix the speech is unchanged. */
static void test_cached_source(void **st)
{
    (void)st;
    hift_config c;
    tiny_config(&c);
    cv_status s;
    hift_model *m = hift_new_random(&c, 3, &s);
    assert_non_null(m);
    const int T = 20, L = T * hift_samples_per_frame(m);
    float *mel = malloc(sizeof(float) * c.in_channels * T);
    random_mel(mel, (size_t)c.in_channels * T, 11);
    float *sp1 = malloc(sizeof(float) * L), *sp2 = malloc(sizeof(float) * L);
    float *src1 = malloc(sizeof(float) * L), *src2 = malloc(sizeof(float) * L);
    float cache[300];
    for (int i = 0; i < 300; i++) cache[i] = 0.5f * sinf(0.01f * i);
    nn_noise *nz = nn_noise_det_new();
    assert_int_equal(hift_infer(m, mel, T, NULL, 0, nz, sp1, src1).code, CV_OK);
    assert_int_equal(hift_infer(m, mel, T, cache, 300, nz, sp2, src2).code, CV_OK);
    assert_memory_equal(src2, cache, sizeof cache);
    assert_memory_equal(src2 + 300, src1 + 300, sizeof(float) * (L - 300));
    double diff = 0;
    for (int i = 0; i < L; i++) {
        assert_true(fabsf(sp2[i]) <= c.audio_limit);
        diff = fmax(diff, fabs(sp1[i] - sp2[i]));
    }
    assert_true(diff > 0.0); /* the cache reached the output */
    assert_int_equal(hift_infer(m, mel, T, src1, 300, nz, sp2, NULL).code, CV_OK);
    assert_memory_equal(sp1, sp2, sizeof(float) * L);
    assert_int_equal(hift_infer(m, mel, T, cache, L + 1, nz, sp2, NULL).code,
                     CV_INVALID_ARGUMENT);
    nn_noise_free(nz);
    free(mel), free(sp1), free(sp2), free(src1), free(src2);
    hift_free(m);
}

/* A model wide enough for the FFT convolutions gives the same speech as
 * with the direct method only. */
static void test_fft_convolutions_in_model(void **st)
{
    (void)st;
    hift_config c;
    tiny_config(&c);
    c.base_channels = 128; /* stage 1: 64 channels, FFT path for k >= 7 */
    cv_status s;
    hift_model *m = hift_new_random(&c, 5, &s);
    assert_non_null(m);
    const int T = 40, L = T * hift_samples_per_frame(m);
    float *mel = malloc(sizeof(float) * c.in_channels * T);
    random_mel(mel, (size_t)c.in_channels * T, 12);
    float *src = malloc(sizeof(float) * L), *a = malloc(sizeof(float) * L),
          *b = malloc(sizeof(float) * L);
    for (int i = 0; i < L; i++) src[i] = 0.1f * sinf(0.05f * i);
    nn_conv1d_params stage1 = {.cin = 64, .cout = 64, .kernel = 11, .stride = 1,
                               .dilation = 3, .pad_left = 15, .pad_right = 15, .groups = 1};
    assert_true(nn_conv1d_fft_size(&stage1, T * c.upsample_rates[0]) > 0);
    assert_int_equal(hift_decode(m, mel, T, src, a).code, CV_OK);
    nn_conv1d_set_fft(false);
    assert_int_equal(hift_decode(m, mel, T, src, b).code, CV_OK);
    nn_conv1d_set_fft(true);
    double diff = 0, mag = 0;
    for (int i = 0; i < L; i++) {
        diff = fmax(diff, fabs(a[i] - b[i]));
        mag = fmax(mag, fabs(b[i]));
    }
    assert_true(mag > 1e-3);
    assert_true(diff < 1e-4);
    free(mel), free(src), free(a), free(b);
    hift_free(m);
}

typedef struct job {
    const hift_model *m;
    const float *mel;
    int T;
    float *out;
    cv_status st;
} job;

static void *run_job(void *p)
{
    job *j = p;
    nn_noise *nz = nn_noise_det_new();
    j->st = hift_infer(j->m, j->mel, j->T, NULL, 0, nz, j->out, NULL);
    nn_noise_free(nz);
    nn_scratch_release();
    return NULL;
}

static void test_concurrent_calls(void **st)
{
    (void)st;
    hift_config c;
    tiny_config(&c);
    c.base_channels = 128; /* products big enough to be split, FFT convolutions */
    cv_status s;
    hift_model *m = hift_new_random(&c, 9, &s);
    assert_non_null(m);
    const int T = 40, L = T * hift_samples_per_frame(m);
    float *mel = malloc(sizeof(float) * c.in_channels * T);
    random_mel(mel, (size_t)c.in_channels * T, 13);
    float *ref = malloc(sizeof(float) * L);
    job j0 = {m, mel, T, ref, cv_ok()};
    run_job(&j0);
    assert_int_equal(j0.st.code, CV_OK);
    /* the same bytes alone and with concurrent callers, who share the pool
     * or run the same pieces inline, at every pool size */
    for (int threads = 1; threads <= 3; threads++) {
        nn_set_threads(threads);
        job alone = {m, mel, T, malloc(sizeof(float) * L), cv_ok()};
        run_job(&alone);
        assert_int_equal(alone.st.code, CV_OK);
        assert_memory_equal(alone.out, ref, sizeof(float) * L);
        free(alone.out);
        enum { N = 3 };
        job jobs[N];
        pthread_t th[N];
        for (int i = 0; i < N; i++) {
            jobs[i] = (job){m, mel, T, malloc(sizeof(float) * L), cv_ok()};
            assert_int_equal(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
        }
        for (int i = 0; i < N; i++) {
            pthread_join(th[i], NULL);
            assert_int_equal(jobs[i].st.code, CV_OK);
            assert_memory_equal(jobs[i].out, ref, sizeof(float) * L);
            free(jobs[i].out);
        }
    }
    nn_set_threads(1);
    free(mel), free(ref);
    hift_free(m);
}

int main(void)
{
    const char *src = getenv("CV_SOURCE_DIR");
    snprintf(golden, sizeof golden, "%s/tests/data/golden/cosyvoice-v1-tiny", src ? src : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_from_yaml),
        cmocka_unit_test(test_checkpoint_checked),
        cmocka_unit_test(test_cached_source),
        cmocka_unit_test(test_fft_convolutions_in_model),
        cmocka_unit_test(test_concurrent_calls),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    nn_scratch_release();
    return rc;
}
