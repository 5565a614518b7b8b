/* CosyVoice2/3's token-to-audio step and schedule (blocks/causal_t2w,
 * v2/token2wav, v3/token2wav) on the tiny golden models, beyond the golden
 * parity runs (tools/parity):
 *  - the hop schedule: prompt pad, growth, first_hop, and that it belongs to the call:
 *    a second call, and two calls at once from one flow pool, run the same
 *    schedule and make the same audio (the reference grows one hop on the
 *    shared model object);
 *  - audio does not depend on how the tokens trickle in;
 *  - the streaming chunk masks make finished chunks final: the flow's mel
 *    for the frames of a finished chunk does not change when tokens are
 *    added (what would let a cache replace the reference's recompute);
 *  - producer failure, a consumer that stops, bad requests. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "model/blocks/causal_t2w.h"
#include "model/blocks/hift.h"
#include "model/io/pt_load.h"
#include "model/io/yaml_config.h"
#include "model/v2/flow.h"
#include "model/v2/token2wav.h"
#include "model/v3/flow.h"
#include "model/v3/token2wav.h"
#include "nn/noise.h"

typedef struct family {
    int v; /* 2 or 3 */
    pt_dict fw;
    flow2_config f2;
    flow3_config f3;
    instance_pool *flows;
    hift_model *hift;
} family;

typedef struct fixture {
    family fam[2];
    nn_noise *noise; /* det_noise: stateless, shared */
    float emb[192];
    float prompt_feat[74 * 80];
    int32_t prompt_tokens[37];
} fixture;

static void open_family(family *f, int v, nn_noise *noise)
{
    const char *root = getenv("CV_SOURCE_DIR") ? getenv("CV_SOURCE_DIR") : ".";
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/tests/data/golden/cosyvoice%d-tiny", root, v);
    snprintf(path, sizeof path, "%s/cosyvoice%d.yaml", dir, v);
    yaml_config *y = NULL;
    assert_int_equal(yaml_config_load(path, &y).code, CV_OK);
    f->v = v;
    cv_status st = v == 2 ? flow2_config_from_yaml(y, &f->f2) : flow3_config_from_yaml(y, &f->f3);
    yaml_config_free(y);
    assert_int_equal(st.code, CV_OK);
    snprintf(path, sizeof path, "%s/flow.pt", dir);
    assert_int_equal(pt_load(path, &f->fw).code, CV_OK);
    st = v == 2 ? flow2_pool_new(&f->fw, &f->f2, noise, &f->flows)
                : flow3_pool_new(&f->fw, &f->f3, noise, &f->flows);
    assert_int_equal(st.code, CV_OK);
    f->hift = hift_open(dir, &st);
    assert_non_null(f->hift);
}

static int setup(void **state)
{
    fixture *x = calloc(1, sizeof *x);
    x->noise = nn_noise_det_new();
    open_family(&x->fam[0], 2, x->noise);
    open_family(&x->fam[1], 3, x->noise);
    for (int i = 0; i < 192; i++) x->emb[i] = sinf(0.3f * (float)i);
    for (int i = 0; i < 74 * 80; i++) x->prompt_feat[i] = -4.0f + 3.0f * sinf(0.01f * (float)i);
    for (int i = 0; i < 37; i++) x->prompt_tokens[i] = (i * 101) % 6561;
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fixture *x = *state;
    for (int i = 0; i < 2; i++) {
        hift_free(x->fam[i].hift);
        instance_pool_free(x->fam[i].flows, free);
        pt_free(&x->fam[i].fw);
    }
    nn_noise_free(x->noise);
    free(x);
    return 0;
}

static int32_t token_at(int i) { return (int32_t)((i * 7919 + 13) % 6561); }

/* ---- a call: fake LM thread, collected audio and token2wav calls ------- */

typedef struct call {
    /* request */
    const family *f;
    const fixture *x;
    int n_tokens, pause_every;
    int first_hop; /* causal_t2w_params.first_hop (0: the reference's) */
    bool stream, prompt;
    float speed;
    cv_status end;  /* how the producer finishes */
    int stop_after; /* emit returns false after this many chunks (0: never) */
    /* results */
    cv_status st;
    float *pcm;
    size_t n;
    int lengths[32], chunks;
    int calls[32][3]; /* n_tokens, offset, finalize */
    int n_calls;
} call;

static void trace(void *user, int n_tokens, int offset, bool streaming, bool finalize)
{
    call *c = user;
    (void)streaming;
    if (c->n_calls < 32) {
        c->calls[c->n_calls][0] = n_tokens;
        c->calls[c->n_calls][1] = offset;
        c->calls[c->n_calls][2] = finalize;
    }
    c->n_calls++;
}

static bool collect(void *user, const float *pcm, int n)
{
    call *c = user;
    c->pcm = realloc(c->pcm, (c->n + (size_t)n) * sizeof(float));
    memcpy(c->pcm + c->n, pcm, (size_t)n * sizeof(float));
    c->n += (size_t)n;
    if (c->chunks < 32) c->lengths[c->chunks] = n;
    c->chunks++;
    return !(c->stop_after && c->chunks >= c->stop_after);
}

typedef struct producer {
    token_queue *q;
    const call *c;
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    for (int i = 0; i < p->c->n_tokens; i++) {
        token_queue_push(p->q, token_at(i));
        if (p->c->pause_every && i % p->c->pause_every == 0) {
            struct timespec ts = {0, 200000}; /* 0.2 ms */
            nanosleep(&ts, NULL);
        }
    }
    token_queue_finish(p->q, p->c->end);
    return NULL;
}

static void *run_call(void *arg)
{
    call *c = arg;
    const family *f = c->f;
    t2w_prompt prompt = {.embedding = c->x->emb};
    if (c->prompt)
        prompt = (t2w_prompt){c->x->prompt_tokens, 37, c->x->prompt_feat, 74, c->x->emb};
    causal_t2w_params p = causal_t2w_params_default();
    p.first_hop = c->first_hop;
    causal_t2w *s = NULL;
    c->st = f->v == 2 ? t2w2_new(f->flows, f->hift, &p, &prompt, c->x->noise, &s)
                      : t2w3_new(f->flows, f->hift, &p, &prompt, c->x->noise, &s);
    if (!cv_is_ok(&c->st)) return NULL;
    causal_t2w_set_trace(s, trace, c);
    token_queue q;
    assert_int_equal(token_queue_init(&q).code, CV_OK);
    producer pr = {&q, c};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, produce, &pr), 0);
    c->st = causal_t2w_run(s, &q, c->stream, c->speed, collect, c, NULL);
    pthread_join(th, NULL);
    token_queue_destroy(&q);
    causal_t2w_free(s);
    return NULL;
}

static call make_call(const fixture *x, int fam, int n_tokens, bool stream, bool prompt)
{
    return (call){.f = &x->fam[fam], .x = x, .n_tokens = n_tokens, .stream = stream,
                  .prompt = prompt, .speed = 1.0f, .end = cv_ok()};
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

static void assert_calls(const call *c, const int (*want)[3], int n)
{
    assert_int_equal(c->n_calls, n);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) assert_int_equal(c->calls[i][k], want[i][k]);
}

/* ---- tests -------------------------------------------------------------- */

static void test_hops(void **state)
{
    (void)state;
    causal_t2w_params p = causal_t2w_params_default();
    assert_int_equal(causal_t2w_first_hop(&p, 0), 25);
    assert_int_equal(causal_t2w_first_hop(&p, 37), 38); /* 37 + 38 = 75 */
    assert_int_equal(causal_t2w_first_hop(&p, 50), 25);
    assert_int_equal(causal_t2w_first_hop(&p, 1), 49);
    assert_int_equal(causal_t2w_next_hop(&p, 25), 50);
    assert_int_equal(causal_t2w_next_hop(&p, 50), 100);
    assert_int_equal(causal_t2w_next_hop(&p, 100), 100);
    p.token_max_hop_len = 10;
    assert_int_equal(causal_t2w_params_check(&p).code, CV_INVALID_ARGUMENT);
}

/* Two calls one after the other, then two at once: the same schedule from
 * hop 25 each time, and the same audio. */
static void test_schedule_is_per_call(void **state)
{
    fixture *x = *state;
    static const int want[][3] = {{28, 0, 0}, {78, 25, 0}, {140, 75, 1}};
    call a = make_call(x, 0, 140, true, false), b = a;
    run_call(&a);
    assert_int_equal(a.st.code, CV_OK);
    assert_calls(&a, want, 3);
    /* v2: 50 mel frames less the 8 held back; then 100 frames; then the rest */
    assert_int_equal(a.lengths[0], (50 - 8) * 480);
    assert_int_equal(a.lengths[1], 100 * 480);
    assert_int_equal(a.n, (size_t)140 * 2 * 480);
    run_call(&b);
    assert_int_equal(b.st.code, CV_OK);
    assert_calls(&b, want, 3);
    assert_true(max_diff(a.pcm, b.pcm, a.n) == 0.0);

    call cc[2] = {make_call(x, 0, 140, true, false), make_call(x, 0, 140, true, false)};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, run_call, &cc[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(cc[i].st.code, CV_OK);
        assert_calls(&cc[i], want, 3);
        assert_int_equal(cc[i].n, a.n);
        assert_true(max_diff(a.pcm, cc[i].pcm, a.n) < 1e-6);
    }
    free(a.pcm), free(b.pcm), free(cc[0].pcm), free(cc[1].pcm);
}

/* With a flow prompt of 37 tokens the first hop grows to 38. */
static void test_prompt_pad(void **state)
{
    fixture *x = *state;
    static const int want[][3] = {{41, 0, 0}, {91, 38, 0}, {100, 88, 1}};
    for (int fam = 0; fam < 2; fam++) {
        call c = make_call(x, fam, 100, true, true);
        run_call(&c);
        assert_int_equal(c.st.code, CV_OK);
        assert_calls(&c, want, 3);
        assert_int_equal(c.n, (size_t)100 * 2 * 480);
        free(c.pcm);
    }
}

/* first_hop = 15 (the triton runtime's): the first chunk after 15 tokens
 * whatever the prompt (no pad), then the reference's hops (50, 100); the
 * same total audio, each chunk non-empty. */
static void test_first_hop(void **state)
{
    fixture *x = *state;
    causal_t2w_params p = causal_t2w_params_default();
    p.first_hop = 15;
    assert_int_equal(causal_t2w_params_check(&p).code, CV_OK);
    assert_int_equal(causal_t2w_first_hop(&p, 37), 15);
    assert_int_equal(causal_t2w_first_hop(&p, 0), 15);
    p.first_hop = 101;
    assert_int_equal(causal_t2w_params_check(&p).code, CV_INVALID_ARGUMENT);
    p.first_hop = -1;
    assert_int_equal(causal_t2w_params_check(&p).code, CV_INVALID_ARGUMENT);
    static const int want[][3] = {{18, 0, 0}, {68, 15, 0}, {140, 65, 1}};
    for (int fam = 0; fam < 2; fam++) {
        for (int prompt = 0; prompt < 2; prompt++) {
            call c = make_call(x, fam, 140, true, prompt);
            c.first_hop = 15;
            run_call(&c);
            assert_int_equal(c.st.code, CV_OK);
            assert_calls(&c, want, 3);
            /* 30 mel frames less the 8 held back; then 100 frames */
            assert_int_equal(c.lengths[0], (30 - 8) * 480);
            assert_int_equal(c.lengths[1], 100 * 480);
            assert_int_equal(c.n, (size_t)140 * 2 * 480);
            free(c.pcm);
        }
    }
}

static void test_trickle_equals_all_at_once(void **state)
{
    fixture *x = *state;
    for (int fam = 0; fam < 2; fam++) {
        call a = make_call(x, fam, 90, true, false), b = a;
        b.pause_every = 3;
        run_call(&a);
        run_call(&b);
        assert_int_equal(a.st.code, CV_OK);
        assert_int_equal(b.st.code, CV_OK);
        assert_int_equal(a.chunks, b.chunks);
        assert_int_equal(a.n, b.n);
        assert_true(max_diff(a.pcm, b.pcm, a.n) == 0.0);
        free(a.pcm), free(b.pcm);
    }
}

/* v3 re-vocodes everything at each chunk and yields what is new: the
 * concatenated stream equals the vocoder's own output for the whole mel up
 * to the last chunk (the causal vocoder's left context is complete). */
static void test_v3_chunks(void **state)
{
    fixture *x = *state;
    static const int want[][3] = {{28, 0, 0}, {60, 25, 1}};
    call c = make_call(x, 1, 60, true, false);
    run_call(&c);
    assert_int_equal(c.st.code, CV_OK);
    assert_calls(&c, want, 2);
    assert_int_equal(c.lengths[0], (50 - 8) * 480);
    assert_int_equal(c.n, (size_t)60 * 2 * 480);
    call plain = make_call(x, 1, 60, false, false);
    plain.speed = 1.25f; /* non-streaming only */
    run_call(&plain);
    assert_int_equal(plain.st.code, CV_OK);
    assert_int_equal(plain.chunks, 1);
    assert_int_equal(plain.n, (size_t)(int)(120 / 1.25f) * 480);
    free(c.pcm), free(plain.pcm);
}

/* Streaming attention: frames of a finished chunk come out the same when
 * more tokens follow (to float rounding of the longer products). */
static void test_finished_chunks_are_final(void **state)
{
    fixture *x = *state;
    int32_t tok[53];
    for (int i = 0; i < 53; i++) tok[i] = token_at(i);
    for (int fam = 0; fam < 2; fam++) {
        cv_status st;
        causal_flow *f = instance_pool_acquire(x->fam[fam].flows, &st);
        assert_non_null(f);
        causal_flow_input in = {.tokens = tok, .n_tokens = 28, .embedding = x->emb,
                                .streaming = true, .finalize = false};
        causal_flow_output a, b;
        assert_int_equal(causal_flow_infer(f, &in, &a).code, CV_OK);
        in.n_tokens = 53;
        assert_int_equal(causal_flow_infer(f, &in, &b).code, CV_OK);
        assert_int_equal(a.mel_frames, 50);
        assert_int_equal(b.mel_frames, 100);
        double d = 0;
        for (int c = 0; c < 80; c++)
            d = fmax(d, max_diff(a.mel + (size_t)c * 50, b.mel + (size_t)c * 100, 50));
        assert_true(d < 1e-5);
        /* without streaming the later tokens do change them */
        in.streaming = false;
        causal_flow_output_free(&b);
        assert_int_equal(causal_flow_infer(f, &in, &b).code, CV_OK);
        d = 0;
        for (int c = 0; c < 80; c++)
            d = fmax(d, max_diff(a.mel + (size_t)c * 50, b.mel + (size_t)c * 100, 50));
        assert_true(d > 1e-3);
        causal_flow_output_free(&a);
        causal_flow_output_free(&b);
        instance_pool_release(x->fam[fam].flows, f);
    }
}

static void test_errors(void **state)
{
    fixture *x = *state;
    call c = make_call(x, 0, 40, true, false);
    c.end = cv_error(CV_INTERNAL, "LM failed");
    run_call(&c);
    assert_int_equal(c.st.code, CV_INTERNAL);
    free(c.pcm);

    c = make_call(x, 1, 90, true, false);
    c.stop_after = 1; /* the consumer (client) goes away */
    run_call(&c);
    assert_int_equal(c.st.code, CV_CANCELLED);
    assert_int_equal(c.chunks, 1);
    free(c.pcm);

    c = make_call(x, 0, 40, true, false);
    c.speed = 1.5f;
    run_call(&c);
    assert_int_equal(c.st.code, CV_INVALID_ARGUMENT);
    free(c.pcm);

    /* a token past the vocabulary */
    causal_t2w_params p = causal_t2w_params_default();
    t2w_prompt prompt = {.embedding = x->emb};
    causal_t2w *s = NULL;
    assert_int_equal(t2w2_new(x->fam[0].flows, x->fam[0].hift, &p, &prompt, x->noise, &s).code,
                     CV_OK);
    int32_t bad[30];
    for (int i = 0; i < 30; i++) bad[i] = i == 7 ? 6561 : i;
    float *pcm = NULL;
    int n = 0;
    cv_status st = causal_t2w_step(s, bad, 30, 0, false, true, 1.0f, &pcm, &n, NULL);
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "out of range"));
    causal_t2w_free(s);
    /* the v3 stage refuses a non-causal vocoder */
    assert_int_equal(t2w3_new(x->fam[1].flows, x->fam[0].hift, &p, &prompt, x->noise, &s).code,
                     CV_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hops),
        cmocka_unit_test(test_schedule_is_per_call),
        cmocka_unit_test(test_prompt_pad),
        cmocka_unit_test(test_first_hop),
        cmocka_unit_test(test_trickle_equals_all_at_once),
        cmocka_unit_test(test_v3_chunks),
        cmocka_unit_test(test_finished_chunks_are_final),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
