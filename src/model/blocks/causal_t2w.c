/* CosyVoice2/3 token2wav and its streaming schedule; see causal_t2w.h. */
#include "model/blocks/causal_t2w.h"

#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"

struct causal_t2w {
    instance_pool *flows;
    causal_t2w_params p;
    t2w_prompt prompt;
    causal_t2w_vocoder voc;
    cv_stop stop;
    causal_t2w_trace_fn trace;
    void *trace_user;
    int lookahead; /* the flow's pre_lookahead_len */
    /* the schedule of this call */
    int offset, hop;
};

causal_t2w_params causal_t2w_params_default(void)
{
    return (causal_t2w_params){.token_hop_len = 25, .token_max_hop_len = 100,
                               .stream_scale_factor = 2};
}

cv_status causal_t2w_params_check(const causal_t2w_params *p)
{
    if (p->token_hop_len < 1 || p->token_max_hop_len < p->token_hop_len ||
        p->stream_scale_factor < 1)
        return cv_error(CV_INVALID_ARGUMENT,
                        "token2wav: need 1 <= hop (%d) <= max hop (%d) and a scale >= 1",
                        p->token_hop_len, p->token_max_hop_len);
    if (p->first_hop < 0 || p->first_hop > p->token_max_hop_len)
        return cv_error(CV_INVALID_ARGUMENT,
                        "token2wav: first hop %d must be at most the max hop (%d tokens)",
                        p->first_hop, p->token_max_hop_len);
    return cv_ok();
}

int causal_t2w_first_hop(const causal_t2w_params *p, int n_prompt_tokens)
{
    if (p->first_hop > 0) return p->first_hop;
    int h = p->token_hop_len;
    int pad = (n_prompt_tokens + h - 1) / h * h - n_prompt_tokens;
    return h + pad;
}

int causal_t2w_next_hop(const causal_t2w_params *p, int hop)
{
    long h = (long)hop * p->stream_scale_factor;
    return h > p->token_max_hop_len ? p->token_max_hop_len : (int)h;
}

cv_status causal_t2w_new(instance_pool *flows, const causal_t2w_params *p,
                         const t2w_prompt *prompt, causal_t2w_vocoder voc, causal_t2w **out)
{
    *out = NULL;
    cv_status st = causal_t2w_params_check(p);
    if (cv_is_ok(&st) && !prompt->embedding)
        st = cv_error(CV_INVALID_ARGUMENT, "token2wav: no speaker embedding");
    causal_t2w *s = cv_is_ok(&st) ? calloc(1, sizeof *s) : NULL;
    if (cv_is_ok(&st) && !s) st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    if (!cv_is_ok(&st)) {
        if (voc.destroy) voc.destroy(voc.self);
        return st;
    }
    causal_flow *f = instance_pool_acquire(flows, &st);
    if (!f) {
        free(s);
        if (voc.destroy) voc.destroy(voc.self);
        return st;
    }
    s->lookahead = causal_flow_cfg(f)->pre_lookahead_len;
    instance_pool_release(flows, f);
    s->flows = flows;
    s->p = *p;
    s->prompt = *prompt;
    s->voc = voc;
    s->hop = p->token_hop_len;
    *out = s;
    return cv_ok();
}

void causal_t2w_free(causal_t2w *s)
{
    if (!s) return;
    if (s->voc.destroy) s->voc.destroy(s->voc.self);
    free(s);
}

void causal_t2w_set_stop(causal_t2w *s, const cv_stop *stop)
{
    s->stop = stop ? *stop : (cv_stop){0};
}

void causal_t2w_set_trace(causal_t2w *s, causal_t2w_trace_fn fn, void *user)
{
    s->trace = fn;
    s->trace_user = user;
}

void *causal_t2w_vocoder_self(causal_t2w *s) { return s->voc.self; }

cv_status causal_t2w_step(causal_t2w *s, const int32_t *tokens, int n, int token_offset,
                          bool streaming, bool finalize, float speed, float **pcm, int *n_pcm,
                          t2w_timing *timing)
{
    *pcm = NULL;
    *n_pcm = 0;
    if (token_offset < 0 || token_offset >= n)
        return cv_error(CV_INVALID_ARGUMENT, "token2wav: offset %d for %d tokens", token_offset, n);
    if (s->trace) s->trace(s->trace_user, n, token_offset, streaming, finalize);
    double t0 = cv_now(), c0 = t2w_process_cpu();
    cv_status st;
    causal_flow *f = instance_pool_acquire(s->flows, &st);
    if (!f) return st;
    const causal_flow_config *fc = causal_flow_cfg(f);
    const int C = fc->output_size, skip = token_offset * fc->token_mel_ratio;
    causal_flow_input in = {.tokens = tokens, .n_tokens = n, .prompt_tokens = s->prompt.tokens,
                            .n_prompt_tokens = s->prompt.n_tokens, .prompt_feat = s->prompt.feat,
                            .n_prompt_frames = s->prompt.n_frames,
                            .embedding = s->prompt.embedding, .streaming = streaming,
                            .finalize = finalize, .stop = &s->stop};
    causal_flow_output o;
    st = causal_flow_infer(f, &in, &o);
    instance_pool_release(s->flows, f);
    double t1 = cv_now(), c1 = t2w_process_cpu();
    float *mel = NULL;
    int F = 0;
    if (cv_is_ok(&st) && cv_stop_requested(&s->stop)) st = cv_error(CV_CANCELLED, "cancelled");
    if (cv_is_ok(&st)) {
        F = o.mel_frames - skip;
        if (F < 1)
            st = cv_error(CV_INVALID_ARGUMENT, "token2wav: no mel past token %d", token_offset);
        else if (!(mel = malloc(sizeof(float) * C * F)))
            st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (int c = 0; mel && c < C; c++)
        memcpy(mel + (size_t)c * F, o.mel + (size_t)c * o.mel_frames + skip, sizeof(float) * F);
    causal_flow_output_free(&o);
    if (cv_is_ok(&st)) st = s->voc.run(s->voc.self, mel, F, finalize, speed, pcm, n_pcm);
    free(mel);
    if (timing) {
        timing->flow += t1 - t0;
        timing->vocoder += cv_now() - t1;
        timing->flow_cpu += c1 - c0;
        timing->vocoder_cpu += t2w_process_cpu() - c1;
    }
    return st;
}

/* ---- the schedule over the shared loop ----------------------------------- */

static int this_hop(const causal_t2w *s)
{
    /* the first hop carries the prompt pad */
    return s->offset == 0 ? causal_t2w_first_hop(&s->p, s->prompt.n_tokens) : s->hop;
}

static int sched_need(void *self)
{
    const causal_t2w *s = self;
    return s->offset + this_hop(s) + s->lookahead;
}

static int sched_consumed(void *self) { return ((const causal_t2w *)self)->offset; }

static cv_status sched_chunk(void *self, const int32_t *tokens, int n, bool final, float speed,
                             float **pcm, int *n_pcm, t2w_timing *timing)
{
    causal_t2w *s = self;
    /* a streamed chunk: streaming attention, look-ahead tokens at the end;
     * the last one: full attention over everything, finalize */
    cv_status st = causal_t2w_step(s, tokens, n, s->offset, !final, final, speed, pcm, n_pcm,
                                   timing);
    if (cv_is_ok(&st) && !final) {
        s->offset += this_hop(s);
        s->hop = causal_t2w_next_hop(&s->p, s->hop);
    }
    return st;
}

cv_status causal_t2w_run(causal_t2w *s, token_queue *q, bool stream, float speed,
                         t2w_emit_fn emit, void *user, t2w_stream_stats *stats)
{
    s->offset = 0;
    s->hop = s->p.token_hop_len;
    t2w_schedule sched = {s, sched_need, sched_consumed, sched_chunk};
    return t2w_loop_run(&sched, q, stream, speed, emit, user, stats);
}
