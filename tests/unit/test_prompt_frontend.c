/* Unit tests for the prompt front end: end to end on the frontend-tiny
 * golden recording (tokens, embedding, prompt mel against the reference),
 * the PCM-keyed LRU cache, concurrent calls, and bad input. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "golden_test_util.h"
#include "model/frontend/prompt_frontend.h"

static const char *golden_dir(void) { return golden_path("frontend-tiny", NULL); }

static npy_array load_npy(const char *name) { return golden_npy("frontend-tiny", name); }

static prompt_frontend *load_pf(void)
{
    cv_status st;
    prompt_frontend *pf = prompt_frontend_load(golden_dir(), &st);
    if (!pf) fail_msg("%s", st.message);
    return pf;
}

static void test_end_to_end(void **state)
{
    (void)state;
    prompt_frontend *pf = load_pf();
    npy_array x = load_npy("fe_speech_16k"), emb = load_npy("fe_spk_embedding");
    npy_array mel = load_npy("fe_prompt_feat"), tok = load_npy("fe_speech_token");
    prompt_features f;
    cv_status st = prompt_frontend_run_float(pf, x.data, x.count, &f);
    if (!cv_is_ok(&st)) fail_msg("%s", st.message);
    assert_true(golden_max_abs(f.embedding, emb.data, PROMPT_SPK_DIM) < 1e-3);
    assert_int_equal(f.n_mels, 80);
    assert_int_equal((size_t)f.mel_frames * 80, mel.count);
    /* the stage-wise parity bound is 1e-3; end to end, the resampler's float
     * rounding (2e-6, as the reference's own) is amplified by the log in
     * near-silent bins */
    assert_true(golden_max_abs(f.prompt_mel, mel.data, mel.count) < 5e-3);
    assert_int_equal((size_t)f.n_tokens, tok.count);
    int same = 0;
    for (int i = 0; i < f.n_tokens; i++) same += f.speech_tokens[i] == tok.idata[i];
    /* the random stand-in codebook has float32 near-ties (see the parity check) */
    assert_true(same >= f.n_tokens * 95 / 100);
    prompt_features_free(&f);
    npy_free(&x);
    npy_free(&emb);
    npy_free(&mel);
    npy_free(&tok);
    prompt_frontend_free(pf);
}

/* The stand-in tokenizer was traced with a fixed length (its mask is a
 * constant of 348 frames), so every recording here is 3.48 s long. */
#define STANDIN_SAMPLES 55680

/* From the 24 kHz recording (fe_wav): resampled inside, as frontend.py's
 * load_wav does; then the int16 entry point at 24 kHz and its cache key. */
static void test_from_24k(void **state)
{
    (void)state;
    prompt_frontend *pf = load_pf();
    npy_array wav = load_npy("fe_wav"), emb = load_npy("fe_spk_embedding");
    npy_array mel = load_npy("fe_prompt_feat"), tok = load_npy("fe_speech_token");
    prompt_features f, g;
    cv_status st = prompt_frontend_run_float_rate(pf, wav.data, wav.count, 24000, &f);
    if (!cv_is_ok(&st)) fail_msg("%s", st.message);
    assert_true(golden_max_abs(f.embedding, emb.data, PROMPT_SPK_DIM) < 1e-3);
    assert_int_equal((size_t)f.mel_frames * 80, mel.count);
    assert_true(golden_max_abs(f.prompt_mel, mel.data, mel.count) < 5e-3);
    int same = 0;
    for (int i = 0; i < f.n_tokens && (size_t)i < tok.count; i++) same += f.speech_tokens[i] == tok.idata[i];
    assert_true(same >= (int)tok.count * 95 / 100);
    prompt_features_free(&f);

    /* int16 at 24 kHz: the cache keys on rate and samples */
    int16_t *pcm = malloc(sizeof(int16_t) * wav.count);
    assert_non_null(pcm);
    for (size_t i = 0; i < wav.count; i++) pcm[i] = (int16_t)lrintf(wav.data[i] * 32767.0f);
    unsigned long hits, misses;
    assert_int_equal(prompt_frontend_run_rate(pf, pcm, wav.count, 24000, &f).code, CV_OK);
    assert_int_equal(prompt_frontend_run_rate(pf, pcm, wav.count, 24000, &g).code, CV_OK);
    prompt_frontend_cache_stats(pf, &hits, &misses);
    assert_int_equal(hits, 1);
    assert_int_equal(misses, 1);
    assert_memory_equal(f.embedding, g.embedding, sizeof f.embedding);
    prompt_features_free(&g);
    assert_int_equal(prompt_frontend_run_rate(pf, pcm, wav.count, 7000, &g).code, CV_INVALID_ARGUMENT);
    prompt_features_free(&f);
    free(pcm);
    npy_free(&wav);
    npy_free(&emb);
    npy_free(&mel);
    npy_free(&tok);
    prompt_frontend_free(pf);
}

static int16_t *tone(size_t n, double hz)
{
    int16_t *p = malloc(sizeof(int16_t) * n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (int16_t)(8000 * sin(2 * M_PI * hz * (double)i / 16000) + 500 * sin(0.37 * i * i));
    return p;
}

static void test_cache(void **state)
{
    (void)state;
    prompt_frontend *pf = load_pf();
    const size_t n = STANDIN_SAMPLES;
    int16_t *a = tone(n, 220);
    prompt_features f1, f2;
    assert_int_equal(prompt_frontend_run(pf, a, n, &f1).code, CV_OK);
    assert_int_equal(prompt_frontend_run(pf, a, n, &f2).code, CV_OK);
    unsigned long hits, misses;
    prompt_frontend_cache_stats(pf, &hits, &misses);
    assert_int_equal(hits, 1);
    assert_int_equal(misses, 1);
    assert_int_equal(f1.n_tokens, f2.n_tokens);
    assert_memory_equal(f1.speech_tokens, f2.speech_tokens, sizeof(int32_t) * f1.n_tokens);
    assert_memory_equal(f1.embedding, f2.embedding, sizeof f1.embedding);
    assert_memory_equal(f1.prompt_mel, f2.prompt_mel, sizeof(float) * f1.mel_frames * f1.n_mels);
    prompt_features_free(&f2);
    /* a different recording (one sample changed) is a miss */
    a[100] ^= 1;
    assert_int_equal(prompt_frontend_run(pf, a, n, &f2).code, CV_OK);
    prompt_frontend_cache_stats(pf, &hits, &misses);
    assert_int_equal(misses, 2);
    prompt_features_free(&f2);
    a[100] ^= 1;
    /* CACHE_SIZE other recordings evict the first (least recently used) */
    for (int k = 0; k < PROMPT_FRONTEND_CACHE_SIZE; k++) {
        int16_t *b = tone(n, 300 + 10 * k);
        assert_int_equal(prompt_frontend_run(pf, b, n, &f2).code, CV_OK);
        prompt_features_free(&f2);
        free(b);
    }
    prompt_frontend_cache_stats(pf, &hits, &misses);
    const unsigned long before = misses;
    assert_int_equal(prompt_frontend_run(pf, a, n, &f2).code, CV_OK);
    prompt_frontend_cache_stats(pf, &hits, &misses);
    assert_int_equal(misses, before + 1);
    assert_memory_equal(f1.embedding, f2.embedding, sizeof f1.embedding);
    prompt_features_free(&f1);
    prompt_features_free(&f2);
    free(a);
    prompt_frontend_free(pf);
}

typedef struct job {
    prompt_frontend *pf;
    const int16_t *pcm;
    size_t n;
    prompt_features f;
    cv_status st;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    j->st = prompt_frontend_run(j->pf, j->pcm, j->n, &j->f);
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    prompt_frontend *pf = load_pf();
    const size_t n = STANDIN_SAMPLES;
    int16_t *a = tone(n, 180), *b = tone(n, 260);
    job jobs[4] = {{pf, a, n, {0}, {0}}, {pf, b, n, {0}, {0}}, {pf, a, n, {0}, {0}},
                   {pf, b, n, {0}, {0}}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) assert_int_equal(jobs[i].st.code, CV_OK);
    for (int i = 0; i < 2; i++) {
        prompt_features *x = &jobs[i].f, *y = &jobs[i + 2].f;
        assert_int_equal(x->n_tokens, y->n_tokens);
        assert_memory_equal(x->speech_tokens, y->speech_tokens, sizeof(int32_t) * x->n_tokens);
        assert_memory_equal(x->embedding, y->embedding, sizeof x->embedding);
    }
    /* different recordings give different embeddings */
    assert_true(golden_max_abs(jobs[0].f.embedding, jobs[1].f.embedding, PROMPT_SPK_DIM) > 1e-6);
    for (int i = 0; i < 4; i++) prompt_features_free(&jobs[i].f);
    free(a);
    free(b);
    prompt_frontend_free(pf);
}

static void test_bad_input(void **state)
{
    (void)state;
    prompt_frontend *pf = load_pf();
    int16_t tiny[100] = {0};
    prompt_features f;
    assert_int_equal(prompt_frontend_run(pf, tiny, 100, &f).code, CV_INVALID_ARGUMENT);
    assert_null(f.speech_tokens);
    const size_t too_long = (size_t)PROMPT_FRONTEND_MAX_SECONDS * 16000 + 1;
    float *x = calloc(too_long, sizeof(float));
    assert_int_equal(prompt_frontend_run_float(pf, x, too_long, &f).code, CV_INVALID_ARGUMENT);
    free(x);
    prompt_frontend_free(pf);
    cv_status st;
    assert_null(prompt_frontend_load("/nonexistent-model-dir", &st));
    assert_int_equal(st.code, CV_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_end_to_end),
        cmocka_unit_test(test_from_24k),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
