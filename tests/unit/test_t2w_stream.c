/* The streaming token-to-audio loop (model/t2w_stream) on the tiny golden
 * flow and vocoder, fed by a fake LM: a producer thread that pushes tokens
 * one at a time with short pauses, as the LM thread does.
 *  - chunk lengths follow the hop/overlap schedule derived from the rules
 *    (mel frames per token count, 34 mel frames and 5120 samples held back);
 *  - audio does not depend on how tokens trickle in (same as all-at-once);
 *  - non-streaming: one chunk, speed time-stretches the mel;
 *  - hop growth with a stream scale factor, smaller first hop;
 *  - producer failure / cancellation and a consumer that stops;
 *  - a stop request ends a step within one flow ODE step. */
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

#include "model/v1/flow_pool.h"
#include "model/blocks/hift.h"
#include "model/v1/length_regulator.h"
#include "model/io/pt_load.h"
#include "model/v1/t2w_stream.h"
#include "model/io/yaml_config.h"
#include "nn/noise.h"

static char golden[4096];

typedef struct fixture {
    yaml_config *y;
    pt_dict fw;
    flow_config fcfg;
    flow_pool *flow;
    hift_model *hift;
    t2w_params p;
    float emb[192];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char path[4200];
    snprintf(path, sizeof path, "%s/cosyvoice.yaml", golden);
    cv_status st = yaml_config_load(path, &f->y);
    assert_int_equal(st.code, CV_OK);
    st = flow_config_from_yaml(f->y, &f->fcfg);
    assert_int_equal(st.code, CV_OK);
    snprintf(path, sizeof path, "%s/flow.pt", golden);
    st = pt_load(path, &f->fw);
    assert_int_equal(st.code, CV_OK);
    st = flow_pool_new(&f->fw, &f->fcfg, &f->flow);
    assert_int_equal(st.code, CV_OK);
    f->hift = hift_open(golden, &st);
    assert_non_null(f->hift);
    f->p = t2w_params_default(f->fcfg.input_frame_rate, 22050, hift_samples_per_frame(f->hift));
    for (int i = 0; i < 192; i++) f->emb[i] = sinf(0.3f * (float)i);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hift_free(f->hift);
    flow_pool_free(f->flow);
    pt_free(&f->fw);
    yaml_config_free(f->y);
    free(f);
    return 0;
}

/* ---- fake LM ----------------------------------------------------------- */

typedef struct producer {
    token_queue *q;
    int n;
    int pause_every; /* sleep briefly after this many tokens (0: never) */
    cv_status end;   /* how the producer finishes */
} producer;

static int32_t token_at(int i) { return (int32_t)((i * 7919 + 13) % 4096); }

static void *produce(void *arg)
{
    producer *p = arg;
    for (int i = 0; i < p->n; i++) {
        token_queue_push(p->q, token_at(i));
        if (p->pause_every && i % p->pause_every == 0) {
            struct timespec ts = {0, 200000}; /* 0.2 ms */
            nanosleep(&ts, NULL);
        }
    }
    token_queue_finish(p->q, p->end);
    return NULL;
}

typedef struct sink {
    float *pcm;
    size_t n;
    int lengths[64];
    int chunks;
    int stop_after; /* return false after this many chunks (0: never) */
} sink;

static bool collect(void *user, const float *pcm, int n)
{
    sink *s = user;
    s->pcm = realloc(s->pcm, (s->n + (size_t)n) * sizeof(float));
    memcpy(s->pcm + s->n, pcm, (size_t)n * sizeof(float));
    s->n += (size_t)n;
    if (s->chunks < 64) s->lengths[s->chunks] = n;
    s->chunks++;
    return !(s->stop_after && s->chunks >= s->stop_after);
}

/* Runs the loop against a producer thread; returns the loop's status. */
static cv_status run(fixture *f, const t2w_params *p, int n_tokens, int pause_every,
                     cv_status end, bool stream, float speed, sink *out)
{
    token_queue q;
    cv_status st = token_queue_init(&q);
    assert_int_equal(st.code, CV_OK);
    nn_noise *noise = nn_noise_det_new();
    t2w_prompt prompt = {.embedding = f->emb};
    t2w_state *s = NULL;
    st = t2w_new(f->flow, f->hift, p, &prompt, noise, &s);
    assert_int_equal(st.code, CV_OK);
    producer pr = {.q = &q, .n = n_tokens, .pause_every = pause_every, .end = end};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, produce, &pr), 0);
    st = t2w_stream_run(s, &q, stream, speed, collect, out, NULL);
    pthread_join(th, NULL);
    t2w_free(s);
    nn_noise_free(noise);
    token_queue_destroy(&q);
    return st;
}

/* Expected chunk lengths from the rules alone. */
static int expected_lengths(const t2w_params *p, int n_tokens, int *len)
{
    int pos = 0, hop = p->first_hop, k = 0, spf = p->samples_per_frame;
    while (n_tokens - pos >= hop + p->token_overlap) {
        int frames = lr_mel_frames(hop + p->token_overlap, p->frame_rate);
        int T = (k ? p->mel_cache : 0) + frames;
        len[k++] = (T - p->mel_overlap) * spf - p->source_cache;
        pos += hop;
        hop = t2w_next_hop(p, hop);
    }
    len[k] = ((k > 0 ? p->mel_cache : 0) + lr_mel_frames(n_tokens - pos, p->frame_rate)) * spf;
    return k + 1;
}

static void check_schedule(fixture *f, const t2w_params *p, int n_tokens)
{
    sink out = {0};
    cv_status st = run(f, p, n_tokens, 3, cv_ok(), true, 1.0f, &out);
    assert_int_equal(st.code, CV_OK);
    int want[64];
    int k = expected_lengths(p, n_tokens, want);
    assert_int_equal(out.chunks, k);
    for (int i = 0; i < k; i++) assert_int_equal(out.lengths[i], want[i]);
    free(out.pcm);
}

static void test_hop_schedule(void **state)
{
    fixture *f = *state;
    assert_int_equal(f->p.token_min_hop, 100);
    assert_int_equal(f->p.token_max_hop, 200);
    assert_int_equal(f->p.mel_overlap, 34);
    assert_int_equal(f->p.source_cache, 5120);
    check_schedule(f, &f->p, 347); /* 3 streamed chunks + final */
    check_schedule(f, &f->p, 119); /* fewer than hop + overlap: final only */
    check_schedule(f, &f->p, 120); /* exactly one hop + overlap */
}

static void test_trickle_equals_all_at_once(void **state)
{
    fixture *f = *state;
    sink a = {0}, b = {0};
    assert_int_equal(run(f, &f->p, 260, 1, cv_ok(), true, 1.0f, &a).code, CV_OK);
    assert_int_equal(run(f, &f->p, 260, 0, cv_ok(), true, 1.0f, &b).code, CV_OK);
    assert_int_equal(a.chunks, b.chunks);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.pcm, b.pcm, a.n * sizeof(float));
    free(a.pcm);
    free(b.pcm);
}

static void test_nonstream_and_speed(void **state)
{
    fixture *f = *state;
    sink a = {0}, b = {0};
    assert_int_equal(run(f, &f->p, 200, 5, cv_ok(), false, 1.0f, &a).code, CV_OK);
    assert_int_equal(a.chunks, 1);
    int frames = lr_mel_frames(200, f->p.frame_rate);
    assert_int_equal(a.lengths[0], frames * 256);
    assert_int_equal(run(f, &f->p, 200, 5, cv_ok(), false, 2.0f, &b).code, CV_OK);
    assert_int_equal(b.chunks, 1);
    assert_int_equal(b.lengths[0], (int)(frames / 2.0f) * 256);
    free(a.pcm);
    free(b.pcm);
    /* speed with streaming is refused by the loop */
    sink c = {0};
    assert_int_equal(run(f, &f->p, 50, 0, cv_ok(), true, 1.5f, &c).code, CV_INVALID_ARGUMENT);
    free(c.pcm);
}

static void test_time_stretch_linear(void **state)
{
    (void)state;
    /* one channel 0,1,2,3 stretched to 8: half-pixel centres, edges clamped */
    const float x[4] = {0, 1, 2, 3};
    float *y;
    int T;
    assert_int_equal(t2w_time_stretch(x, 1, 4, 0.5f, &y, &T).code, CV_OK);
    assert_int_equal(T, 8);
    const float want[8] = {0, 0.25f, 0.75f, 1.25f, 1.75f, 2.25f, 2.75f, 3};
    for (int i = 0; i < 8; i++) assert_float_equal(y[i], want[i], 1e-6);
    free(y);
}

static void test_scale_and_first_hop(void **state)
{
    fixture *f = *state;
    t2w_params p = f->p;
    p.scale = 1.5f;
    assert_int_equal(t2w_next_hop(&p, 100), 150);
    assert_int_equal(t2w_next_hop(&p, 150), 200);
    assert_int_equal(t2w_next_hop(&p, 200), 200);
    check_schedule(f, &p, 600);
    p = f->p;
    p.first_hop = 30; /* earlier first chunk; then back to the reference's hops */
    assert_int_equal(t2w_next_hop(&p, 30), 100);
    check_schedule(f, &p, 300);
    p.first_hop = 5; /* too short to hold back overlap and vocoder cache */
    assert_int_equal(t2w_params_check(&p).code, CV_INVALID_ARGUMENT);
    p = f->p;
    p.scale = 0.5f;
    assert_int_equal(t2w_params_check(&p).code, CV_INVALID_ARGUMENT);
}

static void test_producer_failure_and_stop(void **state)
{
    fixture *f = *state;
    sink a = {0};
    cv_status st = run(f, &f->p, 40, 2, cv_error(CV_CANCELLED, "lm cancelled"), true, 1.0f, &a);
    assert_int_equal(st.code, CV_CANCELLED);
    assert_int_equal(a.chunks, 0);
    free(a.pcm);
    sink b = {.stop_after = 1};
    st = run(f, &f->p, 347, 2, cv_ok(), true, 1.0f, &b);
    assert_int_equal(st.code, CV_CANCELLED);
    assert_int_equal(b.chunks, 1);
    free(b.pcm);
    sink c = {0};
    st = run(f, &f->p, 0, 0, cv_ok(), true, 1.0f, &c); /* LM made nothing */
    assert_int_equal(st.code, CV_OK);
    assert_int_equal(c.chunks, 0);
    free(c.pcm);
}

/* Counts polls; asks to stop from the `stop_at`-th poll on. */
typedef struct stop_probe {
    int polls, stop_at;
} stop_probe;

static bool probe_requested(void *user)
{
    stop_probe *p = user;
    return ++p->polls >= p->stop_at;
}

static void test_stop_between_flow_steps(void **state)
{
    fixture *f = *state;
    nn_noise *noise = nn_noise_det_new();
    t2w_prompt prompt = {.embedding = f->emb};
    t2w_state *s = NULL;
    cv_status st = t2w_new(f->flow, f->hift, &f->p, &prompt, noise, &s);
    assert_int_equal(st.code, CV_OK);
    int32_t tok[120];
    for (int i = 0; i < 120; i++) tok[i] = token_at(i);
    const int steps = f->fcfg.cfm.n_timesteps;
    assert_true(steps > 3);

    /* a poll before every ODE step and one before the vocoder: never stopping */
    stop_probe never = {.stop_at = 1 << 30};
    t2w_set_stop(s, &(cv_stop){probe_requested, &never});
    float *pcm = NULL;
    int n = 0;
    st = t2w_step(s, tok, 120, false, 1.0f, &pcm, &n, NULL);
    assert_int_equal(st.code, CV_OK);
    assert_true(n > 0);
    free(pcm);
    assert_int_equal(never.polls, steps + 1);

    /* asked to stop at the third step: gives up there, no audio */
    stop_probe third = {.stop_at = 3};
    t2w_set_stop(s, &(cv_stop){probe_requested, &third});
    pcm = NULL;
    n = -1;
    st = t2w_step(s, tok, 120, true, 1.0f, &pcm, &n, NULL);
    assert_int_equal(st.code, CV_CANCELLED);
    assert_int_equal(third.polls, 3);
    assert_null(pcm);
    assert_int_equal(n, 0);
    t2w_free(s);
    nn_noise_free(noise);
}

static void test_fade_in_out(void **state)
{
    (void)state;
    double w[8];
    t2w_hamming(w, 8);
    assert_float_equal(w[0], 0.08, 1e-12);
    assert_float_equal(w[0], w[7], 1e-12);
    float a[4] = {1, 1, 1, 1}, b[4] = {2, 2, 2, 2};
    t2w_fade_in_out(a, b, 4, 4, w);
    for (int i = 0; i < 4; i++) assert_float_equal(a[i], (float)(w[i] + 2 * w[4 + i]), 1e-6);
}

int main(void)
{
    const char *src = getenv("CV_SOURCE_DIR");
    snprintf(golden, sizeof golden, "%s/tests/data/golden/cosyvoice-v1-tiny", src ? src : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hop_schedule),
        cmocka_unit_test(test_trickle_equals_all_at_once),
        cmocka_unit_test(test_nonstream_and_speed),
        cmocka_unit_test(test_time_stretch_linear),
        cmocka_unit_test(test_scale_and_first_hop),
        cmocka_unit_test(test_producer_failure_and_stop),
        cmocka_unit_test(test_stop_between_flow_steps),
        cmocka_unit_test(test_fade_in_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
