/* One synthesis call: LM thread + token-to-audio loop; see cv_call.h. */
#include "engine/cosyvoice/cv_call.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "engine/cosyvoice/cv_bistream.h"
#include "engine/cosyvoice/cv_family_v2v3.h"
#include "engine/cosyvoice/cv_text.h"
#include "text/frontend.h"

static atomic_uint_fast64_t g_call_counter;

typedef struct lm_job {
    const cv_model *m;
    const cv_settings *set;
    const cv_text_segments *segs;
    tts_text_source *source; /* streamed text (bistream): one decoding, segs unused */
    const cv_conditioning *cond;
    token_queue *queues;
    tts_sink *sink;
    cv_stop stop;         /* polls the sink, for the LM (a long prefill takes seconds) and the flow */
    const char *request_id;
    uint64_t seed;
    atomic_bool cancel;
    int cur;              /* segment being decoded */
    bool sink_cancelled;  /* seen by on_token */
    double busy;          /* seconds in llm_generate */
    double busy_cpu;      /* process CPU seconds meanwhile */
} lm_job;

static bool on_token(void *user, int32_t token)
{
    lm_job *j = user;
    if (atomic_load(&j->cancel) || j->sink->cancelled(j->sink)) {
        j->sink_cancelled = true;
        return false;
    }
    if (!token_queue_push(&j->queues[j->cur], token)) {
        atomic_store(&j->cancel, true);
        return false;
    }
    /* lm_yield: make way while a chunk is computed (token_queue.h); a
     * cancellation meanwhile releases us (token_queue_close) */
    if (j->set->lm_yield && token_queue_yield(&j->queues[j->cur]) &&
        (atomic_load(&j->cancel) || j->sink->cancelled(j->sink))) {
        j->sink_cancelled = true;
        return false;
    }
    return true;
}

/* cv_stop poll for the token-to-audio steps: a cancelled call (client gone,
 * deadline, shutdown) stops within one flow step. */
static bool poll_sink_cancelled(void *user)
{
    tts_sink *sink = user;
    return sink->cancelled(sink);
}

/* The decoding options both LM threads share: the call's seed, sampling
 * and threads, tokens into the job's queues, cancellation both ways. */
static llm_decode_options lm_options(lm_job *j, uint64_t seed)
{
    llm_decode_options o = llm_decode_defaults();
    o.seed = seed;
    o.on_token = on_token;
    o.user = j;
    o.cancel = &j->cancel;
    o.stop = &j->stop;
    o.n_threads = j->set->n_threads;
    if (j->set->greedy) o.mode = LLM_SAMPLE_GREEDY;
    return o;
}

static void *lm_thread(void *arg)
{
    lm_job *j = arg;
    cv_status failed = cv_ok();
    for (int k = 0; k < j->segs->count; k++) {
        token_queue *q = &j->queues[k];
        if (cv_is_ok(&failed) && (atomic_load(&j->cancel) || j->sink->cancelled(j->sink))) {
            failed = cv_error(CV_CANCELLED, "cancelled");
            LOG_INFO("[%s] LM stopped (CANCELLED) before segment %d/%d", j->request_id, k + 1,
                     j->segs->count);
        }
        if (!cv_is_ok(&failed)) {
            token_queue_finish(q, failed);
            continue;
        }
        const cv_text_segment *seg = &j->segs->items[k];
        cv_lm_prompt in = {.prompt_text = j->cond->prompt_text,
                           .n_prompt_text = j->cond->n_prompt_text,
                           .prompt_speech = j->cond->llm_prompt_speech,
                           .n_prompt_speech = j->cond->n_llm_prompt_speech,
                           .embedding = j->cond->llm_embedding};
        llm_decode_options o = lm_options(j, j->seed + (uint64_t)k);
        if (j->set->fixed_tokens > 0) {
            /* min_len = max_len = fixed_tokens: eos is never allowed */
            float r = ((float)j->set->fixed_tokens + 0.5f) / (float)seg->n_ids;
            o.min_token_text_ratio = o.max_token_text_ratio = r;
            o.no_stop = true; /* nor CosyVoice2/3's other stop ids */
        }
        j->cur = k;
        int32_t *tokens = NULL;
        int n = 0;
        double t0 = cv_now(), c0 = t2w_process_cpu();
        cv_status st = cv_segment_generate(j->m, &in, seg->ids, seg->n_ids, &o, &tokens, &n);
        j->busy += cv_now() - t0;
        j->busy_cpu += t2w_process_cpu() - c0;
        free(tokens);
        if (cv_is_ok(&st) && (j->sink_cancelled || atomic_load(&j->cancel)))
            st = cv_error(CV_CANCELLED, "cancelled");
        if (st.code == CV_CANCELLED)
            LOG_INFO("[%s] LM stopped (CANCELLED) after %d tokens of segment %d/%d",
                     j->request_id, n, k + 1, j->segs->count);
        if (!cv_is_ok(&st)) failed = st;
        token_queue_finish(q, st);
    }
    return NULL;
}

/* Streamed text: one bistream decoding into queues[0] (cv_bistream.h). */
static void *lm_bistream_thread(void *arg)
{
    lm_job *j = arg;
    cv_lm_prompt in = {.prompt_text = j->cond->prompt_text,
                       .n_prompt_text = j->cond->n_prompt_text,
                       .prompt_speech = j->cond->llm_prompt_speech,
                       .n_prompt_speech = j->cond->n_llm_prompt_speech};
    llm_decode_options o = lm_options(j, j->seed);
    if (j->set->fixed_tokens > 0) {
        /* one decoding for the whole text: fixed_tokens in all */
        o.no_stop = true;
        o.stop_after = j->set->fixed_tokens;
    }
    j->cur = 0;
    cv_text_ids ti;
    cv_text_ids_init(&ti, j->m->tok, j->source);
    int n = 0;
    double t0 = cv_now(), c0 = t2w_process_cpu();
    cv_status st = cv_bistream_generate(j->m, &in, &ti.base, &o, &n);
    /* busy includes the waits for text: the LM runs as the text comes */
    j->busy += cv_now() - t0;
    j->busy_cpu += t2w_process_cpu() - c0;
    cv_text_ids_free(&ti);
    if (cv_is_ok(&st) && (j->sink_cancelled || atomic_load(&j->cancel)))
        st = cv_error(CV_CANCELLED, "cancelled");
    if (!cv_is_ok(&st))
        LOG_INFO("[%s] streamed-text LM stopped (%s) after %d tokens, %d text pieces",
                 j->request_id, cv_code_name(st.code), n, ti.pieces);
    else
        LOG_DEBUG("[%s] streamed-text LM: %d tokens from %d text pieces", j->request_id, n,
                  ti.pieces);
    token_queue_finish(&j->queues[0], st);
    return NULL;
}

typedef struct emit_ctx {
    tts_sink *sink;
    int16_t *buf;
    size_t cap;
    size_t samples;
} emit_ctx;

/* float [-1, 1] -> s16 as the reference server does (x * 2^15, truncated),
 * clamped so out-of-range values cannot wrap. */
static bool emit(void *user, const float *pcm, int n)
{
    emit_ctx *e = user;
    if ((size_t)n > e->cap) {
        int16_t *b = realloc(e->buf, (size_t)n * sizeof *b);
        if (!b) return false;
        e->buf = b;
        e->cap = (size_t)n;
    }
    for (int i = 0; i < n; i++) {
        float v = pcm[i] * 32768.0f;
        if (v > 32767.0f) v = 32767.0f;
        if (v < -32768.0f) v = -32768.0f;
        e->buf[i] = (int16_t)v;
    }
    e->samples += (size_t)n;
    return e->sink->write(e->sink, e->buf, (size_t)n);
}

static uint64_t call_seed(const cv_settings *set)
{
    if (set->have_seed) return set->seed;
    uint64_t c = atomic_fetch_add(&g_call_counter, 1) + 1;
    return (uint64_t)(cv_now() * 1e9) ^ (c * 0x9E3779B97F4A7C15ull);
}

static void log_first_chunk(const tts_request *req, const cv_call_stats *s, int first_need)
{
    LOG_INFO("[%s] first chunk %.0f ms after the request: front end %.0f ms, LM to first "
             "token %.0f ms, LM to first hop (%d tokens) %.0f ms, flow %.0f ms, vocoder %.0f ms",
             req->request_id, (s->t_first_chunk - s->t_start) * 1e3,
             (s->t_frontend_done - s->t_start) * 1e3,
             s->t_first_token > 0 ? (s->t_first_token - s->t_lm_start) * 1e3 : -1.0, first_need,
             (s->t_first_ready - s->t_lm_start) * 1e3, s->first_flow * 1e3,
             s->first_vocoder * 1e3);
}

void cv_conditioning_for_voice(const cv_model *m, const spk_voice *v, const float *embedding,
                               bool llm_prompt, cv_conditioning *cond)
{
    const bool saved = m->family != CV_FAMILY_V1 && v->has_prompt;
    cond->flow_embedding = embedding;
    if (saved) { /* CosyVoice2/3 saved voice: its prompt conditions the flow */
        cond->flow_embedding = v->flow_embedding;
        cond->flow_prompt_speech = v->flow_tokens;
        cond->n_flow_prompt_speech = v->n_flow_tokens;
        cond->flow_prompt_feat = v->prompt_feat;
        cond->n_flow_prompt_frames = v->feat_frames;
    }
    if (!llm_prompt) return;
    cond->llm_embedding = embedding; /* v1 only: Qwen2LM has no speaker embedding */
    if (saved) { /* like zero_shot with the saved prompt */
        cond->prompt_text = v->prompt_text;
        cond->n_prompt_text = v->n_prompt_text;
        cond->llm_prompt_speech = v->llm_tokens;
        cond->n_llm_prompt_speech = v->n_llm_tokens;
    }
}

cv_status cv_call_run(const cv_model *m, const cv_settings *set, const tts_request *req,
                      const cv_conditioning *cond, double t_start, tts_sink *sink,
                      cv_call_stats *stats)
{
    cv_call_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    stats->t_start = t_start;
    cv_text_segments segs = {0};
    cv_status st = cv_ok();
    const bool bistream = req->source != NULL;
    int count = 1; /* token queues: one per segment, one for streamed text */
    if (!bistream) {
        st = cv_text_segments_make(m->tok, req->tts_text, &segs);
        if (!cv_is_ok(&st)) return st;
        if (segs.count == 0) {
            cv_text_segments_free(&segs);
            return cv_error(CV_INVALID_ARGUMENT, TEXT_NOTHING_TO_SPEAK);
        }
        count = segs.count;
    }
    stats->t_frontend_done = cv_now();
    stats->segments = count;

    lm_job job = {.m = m, .set = set, .segs = &segs, .source = req->source, .cond = cond,
                  .sink = sink, .stop = {poll_sink_cancelled, sink},
                  .request_id = req->request_id, .seed = call_seed(set)};
    atomic_init(&job.cancel, false);
    job.queues = calloc((size_t)count, sizeof *job.queues);
    int n_init = 0;
    if (!job.queues) st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    for (; cv_is_ok(&st) && n_init < count; n_init++) {
        st = token_queue_init(&job.queues[n_init]);
        if (cv_is_ok(&st)) token_queue_set_yield(&job.queues[n_init], set->lm_yield);
    }
    if (!cv_is_ok(&st)) {
        for (int i = 0; i < n_init; i++) token_queue_destroy(&job.queues[i]);
        free(job.queues);
        cv_text_segments_free(&segs);
        return st;
    }
    pthread_t th;
    stats->t_lm_start = cv_now();
    if (pthread_create(&th, NULL, bistream ? lm_bistream_thread : lm_thread, &job) != 0) {
        for (int i = 0; i < n_init; i++) token_queue_destroy(&job.queues[i]);
        free(job.queues);
        cv_text_segments_free(&segs);
        return cv_error(CV_RESOURCE_EXHAUSTED, "cannot start the LM thread");
    }

    nn_noise *noise = nn_noise_gaussian_new(job.seed ^ 0x5DEECE66Dull);
    emit_ctx ec = {.sink = sink};
    t2w_prompt prompt = {.tokens = cond->flow_prompt_speech, .n_tokens = cond->n_flow_prompt_speech,
                         .feat = cond->flow_prompt_feat, .n_frames = cond->n_flow_prompt_frames,
                         .embedding = cond->flow_embedding};
    if (!noise) st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    for (int k = 0; k < count && cv_is_ok(&st); k++) {
        t2w_stream_stats ss = {0};
        if (!bistream)
            LOG_DEBUG("[%s] segment %d/%d: %s", req->request_id, k + 1, count, segs.items[k].text);
        st = cv_segment_t2w(m, &prompt, noise, &job.stop,
                            &job.queues[k], req->stream, req->speed, emit, &ec, &ss);
        if (k == 0) {
            stats->t_first_token = ss.t_first_token;
            stats->t_first_ready = ss.t_first_ready;
            stats->t_first_chunk = ss.t_first_chunk;
            stats->cpu_first_chunk = ss.cpu_first_chunk;
            stats->first_flow = ss.first.flow;
            stats->first_vocoder = ss.first.vocoder;
            int need = cv_segment_first_need(m, &prompt);
            if (cv_is_ok(&st) && ss.chunks > 0)
                log_first_chunk(req, stats, req->stream && ss.tokens >= need ? need : ss.tokens);
        }
        stats->chunks += ss.chunks;
        stats->tokens += ss.tokens;
        stats->flow_seconds += ss.total.flow;
        stats->vocoder_seconds += ss.total.vocoder;
        stats->flow_cpu += ss.total.flow_cpu;
        stats->vocoder_cpu += ss.total.vocoder_cpu;
    }
    if (!cv_is_ok(&st)) {
        atomic_store(&job.cancel, true);
        /* the LM thread may be waiting for text: it must not wait on */
        if (bistream && req->source->stop) req->source->stop(req->source, st);
    }
    /* a parked LM (lm_yield) must see the end at once: the token-to-audio
     * loop that would release it is over */
    for (int i = 0; i < count; i++) token_queue_close(&job.queues[i]);
    pthread_join(th, NULL);
    for (int i = 0; i < count; i++) {
        stats->lm_parks += job.queues[i].parks;
        stats->lm_parked += job.queues[i].parked;
    }
    stats->lm_seconds = job.busy;
    stats->lm_cpu = job.busy_cpu;
    stats->samples = ec.samples;
    stats->t_end = cv_now();
    if (cv_is_ok(&st) && sink->cancelled(sink)) st = cv_error(CV_CANCELLED, "cancelled");
    nn_noise_free(noise);
    free(ec.buf);
    for (int i = 0; i < count; i++) token_queue_destroy(&job.queues[i]);
    free(job.queues);
    cv_text_segments_free(&segs);
    return st;
}
