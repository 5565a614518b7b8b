/* Tests of the speech-token LM with small random weights: cached decoding
 * agrees with uncached full runs, the min/max length rules, callbacks,
 * cancellation, seeded sampling, and the samplers themselves. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/v1/llm.h"
#include "random/llm_random.h"
#include "model/blocks/llm_sampling.h"
#include "stop_test_util.h"

typedef struct fixture {
    pt_dict sd;
    llm_model *m;
    llm_config cfg;
} fixture;

static llm_config tiny_cfg(void)
{
    llm_config c = llm_config_cosyvoice_300m();
    c.text_encoder_input_size = 8;
    c.llm_input_size = 16;
    c.llm_output_size = 20;
    c.text_token_size = 50;
    c.speech_token_size = 40;
    c.spk_embed_dim = 6;
    c.text_encoder.input_size = 8;
    c.text_encoder.output_size = 12;
    c.text_encoder.attention_heads = 2;
    c.text_encoder.linear_units = 24;
    c.text_encoder.num_blocks = 2;
    c.llm.input_size = 16;
    c.llm.output_size = 20;
    c.llm.attention_heads = 4;
    c.llm.linear_units = 32;
    c.llm.num_blocks = 2;
    return c;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->cfg = tiny_cfg();
    rw_rng rng = rw_rng_seed(2024);
    cv_status s = llm_random_weights(&f->sd, &f->cfg, &rng);
    if (!cv_is_ok(&s)) return -1;
    s = llm_load(&f->sd, &f->cfg, &f->m);
    if (!cv_is_ok(&s)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    llm_free(f->m);
    pt_free(&f->sd);
    free(f);
    return 0;
}

static const int32_t TEXT[] = {3, 17, 42, 8, 11};
static const int32_t PTEXT[] = {5, 9};
static const int32_t PSPEECH[] = {1, 30, 7};
static const float EMB[6] = {0.5f, -1.0f, 2.0f, 0.25f, 0.0f, -0.75f};

static llm_input input(void)
{
    return (llm_input){.text = TEXT, .n_text = 5, .prompt_text = PTEXT, .n_prompt_text = 2,
                       .prompt_speech = PSPEECH, .n_prompt_speech = 3, .embedding = EMB};
}

typedef struct rec {
    float *logp; /* [steps][V] */
    int V, steps, cap;
    int32_t seen[200];
    int n_seen, stop_after;
    atomic_bool *cancel;
    int cancel_after;
} rec;

static void on_logp(void *u, int step, const float *lp, int n)
{
    rec *r = u;
    if (step < r->cap) memcpy(r->logp + (size_t)step * n, lp, (size_t)n * sizeof(float));
    r->steps = step + 1;
}

static bool on_token(void *u, int32_t t)
{
    rec *r = u;
    r->seen[r->n_seen++] = t;
    if (r->cancel && r->n_seen == r->cancel_after) atomic_store(r->cancel, true);
    return !(r->stop_after && r->n_seen >= r->stop_after);
}

/* Greedy decoding that records every step's log-probs and tokens in r. */
static llm_decode_options greedy_recorded(rec *r)
{
    llm_decode_options o = llm_decode_defaults();
    o.mode = LLM_SAMPLE_GREEDY;
    o.on_logp = on_logp;
    o.on_token = on_token;
    o.user = r;
    return o;
}

/* Every step's log-probs from cached decoding equal an uncached full run
 * over the same history (last position), within 1e-4. */
static void test_incremental_equals_full(void **state)
{
    fixture *f = *state;
    int V = f->cfg.speech_token_size + 1;
    rec r = {.V = V, .cap = 100};
    r.logp = malloc(sizeof(float) * V * r.cap);
    llm_input in = input();
    llm_decode_options o = greedy_recorded(&r);
    int32_t *tok = NULL;
    int n = 0;
    assert_int_equal(llm_generate(f->m, &in, &o, &tok, &n).code, CV_OK);
    assert_true(n >= 10); /* min_len = 2 * 5 */
    assert_int_equal(n, r.n_seen);
    assert_memory_equal(tok, r.seen, sizeof(int32_t) * n);
    float *full = malloc(sizeof(float) * V);
    for (int k = 0; k < r.steps; k++) {
        assert_int_equal(llm_score_full(f->m, &in, tok, k, full).code, CV_OK);
        for (int j = 0; j < V; j++) {
            if (j == f->cfg.speech_token_size && k < 10) {
                assert_true(isinf(r.logp[(size_t)k * V + j]));
                continue;
            }
            float d = fabsf(full[j] - r.logp[(size_t)k * V + j]);
            if (!(d <= 1e-4f)) fail_msg("step %d entry %d differs by %g", k, j, d);
        }
        /* greedy means: the token is the argmax of that row */
        if (k < n) assert_int_equal(tok[k], llm_sample_greedy(r.logp + (size_t)k * V, V));
    }
    free(full), free(tok), free(r.logp);
}

/* eos is impossible for the first min_len steps and max_len caps the rest:
 * with an eos bias of +100 decoding stops exactly at min_len, with -100 it
 * runs to max_len. */
static void test_min_max_len(void **state)
{
    fixture *f = *state;
    pt_tensor *b = (pt_tensor *)pt_find(&f->sd, "llm_decoder.bias");
    assert_non_null(b);
    float keep = b->data[f->cfg.speech_token_size];
    llm_input in = input();
    llm_decode_options o = llm_decode_defaults();
    o.mode = LLM_SAMPLE_GREEDY;
    int32_t *tok = NULL;
    int n = 0;
    b->data[f->cfg.speech_token_size] = 100.0f;
    assert_int_equal(llm_generate(f->m, &in, &o, &tok, &n).code, CV_OK);
    assert_int_equal(n, 10);
    free(tok);
    b->data[f->cfg.speech_token_size] = -100.0f;
    assert_int_equal(llm_generate(f->m, &in, &o, &tok, &n).code, CV_OK);
    assert_int_equal(n, 100);
    for (int i = 0; i < n; i++) assert_true(tok[i] >= 0 && tok[i] < f->cfg.speech_token_size);
    free(tok);
    b->data[f->cfg.speech_token_size] = keep;
}

static void test_seeded_sampling_reproduces(void **state)
{
    fixture *f = *state;
    llm_input in = input();
    in.embedding = NULL; /* also covers the no-speaker path */
    llm_decode_options o = llm_decode_defaults();
    o.seed = 77;
    int32_t *a = NULL, *b = NULL, *c = NULL;
    int na = 0, nb = 0, nc = 0;
    assert_int_equal(llm_generate(f->m, &in, &o, &a, &na).code, CV_OK);
    assert_int_equal(llm_generate(f->m, &in, &o, &b, &nb).code, CV_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, sizeof(int32_t) * na);
    o.seed = 78;
    assert_int_equal(llm_generate(f->m, &in, &o, &c, &nc).code, CV_OK);
    assert_true(nc != na || memcmp(a, c, sizeof(int32_t) * na) != 0);
    free(a), free(b), free(c);
}

static void test_callback_stop_and_cancel(void **state)
{
    fixture *f = *state;
    llm_input in = input();
    rec r = {.stop_after = 4};
    llm_decode_options o = llm_decode_defaults();
    o.on_token = on_token;
    o.user = &r;
    int32_t *tok = NULL;
    int n = 0;
    assert_int_equal(llm_generate(f->m, &in, &o, &tok, &n).code, CV_OK);
    assert_int_equal(n, 4);
    free(tok);

    atomic_bool cancel = false;
    rec r2 = {.cancel = &cancel, .cancel_after = 3};
    o.user = &r2;
    o.cancel = &cancel;
    assert_int_equal(llm_generate(f->m, &in, &o, &tok, &n).code, CV_CANCELLED);
    assert_int_equal(n, 3);
    free(tok);
}

static void test_bad_input(void **state)
{
    fixture *f = *state;
    llm_decode_options o = llm_decode_defaults();
    int32_t *tok = NULL;
    int n = 0;
    llm_input in = input();
    int32_t bad[] = {3, 50};
    in.text = bad;
    in.n_text = 2;
    assert_int_equal(llm_generate(f->m, &in, &o, &tok, &n).code, CV_INVALID_ARGUMENT);
    in = input();
    int32_t badsp[] = {40};
    in.prompt_speech = badsp;
    in.n_prompt_speech = 1;
    assert_int_equal(llm_generate(f->m, &in, &o, &tok, &n).code, CV_INVALID_ARGUMENT);
    in = input();
    in.n_text = 0;
    assert_int_equal(llm_generate(f->m, &in, &o, &tok, &n).code, CV_INVALID_ARGUMENT);
    assert_null(tok);
    assert_int_equal(n, 0);
}

typedef struct worker_run {
    const llm_model *m;
    int32_t *tok;
    int n;
    cv_status s;
} worker_run;

static void *decode_thread(void *arg)
{
    worker_run *w = arg;
    llm_input in = input();
    llm_decode_options o = llm_decode_defaults();
    o.seed = 5;
    o.n_threads = 2;
    w->s = llm_generate(w->m, &in, &o, &w->tok, &w->n);
    return NULL;
}

/* One loaded model serves simultaneous decodings, each as if alone. */
static void test_concurrent_decodings(void **state)
{
    fixture *f = *state;
    worker_run alone = {.m = f->m};
    decode_thread(&alone);
    assert_int_equal(alone.s.code, CV_OK);
    worker_run w[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (worker_run){.m = f->m};
        assert_int_equal(pthread_create(&th[i], NULL, decode_thread, &w[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].s.code, CV_OK);
        assert_int_equal(w[i].n, alone.n);
        assert_memory_equal(w[i].tok, alone.tok, sizeof(int32_t) * alone.n);
        free(w[i].tok);
    }
    free(alone.tok);
}

/* ---- samplers ------------------------------------------------------------ */

static void test_nucleus_stays_in_nucleus(void **state)
{
    (void)state;
    /* probabilities 0.5, 0.35, 0.1, 0.05 (indices 2, 0, 1, 3): with top_p
     * 0.8 the nucleus is {2, 0}; with top_k 1 it is {2} */
    float s[4] = {logf(0.35f), logf(0.1f), logf(0.5f), logf(0.05f)};
    llm_rng rng = llm_rng_seed(1);
    int hits[4] = {0};
    for (int i = 0; i < 2000; i++) hits[llm_sample_nucleus(s, 4, 0.8f, 25, &rng)]++;
    assert_int_equal(hits[1] + hits[3], 0);
    assert_true(hits[2] > hits[0] && hits[0] > 400); /* 5:3.5 split */
    for (int i = 0; i < 50; i++) assert_int_equal(llm_sample_nucleus(s, 4, 0.8f, 1, &rng), 2);
    /* -inf entries are never drawn */
    float t[3] = {-INFINITY, 0.0f, -INFINITY};
    for (int i = 0; i < 50; i++) assert_int_equal(llm_sample_random(t, 3, &rng), 1);
    assert_int_equal(llm_sample_greedy(t, 3), 1);
}

static void test_ras_avoids_repetition(void **state)
{
    (void)state;
    llm_sampling_params p = llm_sampling_defaults();
    llm_rng rng = llm_rng_seed(3);
    /* token 0 dominates; having just produced it, RAS must draw another */
    float s[3];
    int32_t hist[] = {5, 0};
    for (int i = 0; i < 100; i++) {
        s[0] = 0.0f, s[1] = -3.0f, s[2] = -3.0f;
        assert_int_not_equal(llm_sample_ras(s, 3, hist, 2, &p, &rng), 0);
    }
    /* without the repetition the nucleus pick stands */
    int32_t other[] = {1, 2};
    int zeros = 0;
    for (int i = 0; i < 100; i++) {
        s[0] = 0.0f, s[1] = -3.0f, s[2] = -3.0f;
        zeros += llm_sample_ras(s, 3, other, 2, &p, &rng) == 0;
    }
    assert_int_equal(zeros, 100); /* p(0) = 0.91 > top_p: nucleus is {0} */
}

/* A prefix longer than LLM_PREFILL_CHUNK is read in blocks: the first
 * step's log-probs still equal an uncached full run. */
static void test_long_prefix_in_blocks(void **state)
{
    fixture *f = *state;
    int V = f->cfg.speech_token_size + 1;
    enum { NT = LLM_PREFILL_CHUNK + 150 };
    int32_t text[NT];
    for (int i = 0; i < NT; i++) text[i] = (int32_t)((i * 7 + 3) % f->cfg.text_token_size);
    llm_input in = input();
    in.text = text;
    in.n_text = NT;
    rec r = {.V = V, .cap = 1, .stop_after = 1};
    r.logp = malloc(sizeof(float) * V);
    llm_decode_options o = greedy_recorded(&r);
    int32_t *tok = NULL;
    int n = 0;
    assert_int_equal(llm_generate(f->m, &in, &o, &tok, &n).code, CV_OK);
    assert_int_equal(n, 1);
    float *full = malloc(sizeof(float) * V);
    assert_int_equal(llm_score_full(f->m, &in, NULL, 0, full).code, CV_OK);
    for (int j = 0; j < f->cfg.speech_token_size; j++)
        assert_float_equal(r.logp[j], full[j], 1e-4);
    free(full);
    free(r.logp);
    free(tok);
}

/* The stop poll is asked inside the prefill (a long text's prefill takes
 * seconds; a cancelled call used to hold its slot through it), not only
 * before each token. */
static void test_stop_polled_in_prefill(void **state)
{
    fixture *f = *state;
    enum { NT = 2 * LLM_PREFILL_CHUNK + 10 };
    int32_t text[NT];
    for (int i = 0; i < NT; i++) text[i] = (int32_t)(i % f->cfg.text_token_size);
    llm_input in = input();
    in.text = text;
    in.n_text = NT;
    rec r = {0};
    llm_decode_options o = llm_decode_defaults();
    o.on_token = on_token;
    o.user = &r;
    int32_t *tok = NULL;
    int n = 0;
    /* 2 text-encoder layers, then the step poll, then 2 more blocks: each
     * of the first four polls is inside the prefill */
    for (int at = 1; at <= 4; at++) {
        poll_count p = {.stop_at = at};
        o.stop = &(cv_stop){stop_at, &p};
        assert_int_equal(llm_generate(f->m, &in, &o, &tok, &n).code, CV_CANCELLED);
        assert_int_equal(n, 0);
        assert_int_equal(r.n_seen, 0);
        assert_int_equal(p.calls, at);
    }
    /* never requested: decodes as usual */
    poll_count never = {.stop_at = 1 << 30};
    o.stop = &(cv_stop){stop_at, &never};
    o.max_token_text_ratio = 3.0f / NT;
    assert_int_equal(llm_generate(f->m, &in, &o, &tok, &n).code, CV_OK);
    assert_true(n > 0 && never.calls > 4);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_incremental_equals_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_min_max_len, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seeded_sampling_reproduces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_stop_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_decodings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_prefix_in_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_polled_in_prefill, setup, teardown),
        cmocka_unit_test(test_nucleus_stays_in_nucleus),
        cmocka_unit_test(test_ras_avoids_repetition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
