/* CosyVoice2 / CosyVoice3 in the cosyvoice engine; see cv_family_v2v3.h. */
#include "engine/cosyvoice/cv_family_v2v3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "model/frontend/text_tokenizer.h"
#include "model/v1/t2w_stream.h"
#include "model/v2/flow.h"
#include "model/v2/llm.h"
#include "model/v2/token2wav.h"
#include "model/v3/flow.h"
#include "model/v3/llm.h"
#include "model/v3/token2wav.h"

/* The flow's fixed noise buffer: drawn once per model, as the reference's
 * CausalConditionalCFM draws rand_noise once (seed 0) at construction. */
#define CV_FLOW_NOISE_SEED 0

/* Samples a streamed first chunk of `frames` mel frames yields: v2 holds
 * back T2W2_MEL_CACHE frames for the cross-fade, v3's causal vocoder its
 * look-ahead. */
static int first_chunk_samples(const cv_model *m, int frames)
{
    if (m->family == CV_FAMILY_V3) return hift_infer_samples(m->hift, frames, false);
    return (frames - T2W2_MEL_CACHE) * hift_samples_per_frame(m->hift);
}

cv_status cv_v2v3_load(cv_model *m, const char *dir, const char *yaml_path,
                       const cv_settings *set)
{
    const bool v3 = m->family == CV_FAMILY_V3;
    char path[4096];
    cv_status st = yaml_config_load(yaml_path, &m->yaml);
    if (!cv_is_ok(&st)) return st;
    const char *weights = "llm.pt";
    snprintf(path, sizeof path, "%s/llm.pt", dir);
    if (v3 && access(path, F_OK) != 0) {
        snprintf(path, sizeof path, "%s/llm.rl.pt", dir);
        if (access(path, F_OK) == 0) weights = "llm.rl.pt";
    }
    st = v3 ? cv3_llm_open(dir, m->yaml, weights, &m->qlm)
            : cv2_llm_open(dir, m->yaml, weights, &m->qlm);
    if (cv_is_ok(&st) && set->lm_int8) st = qwen2_lm_quantize(m->qlm);
    if (!cv_is_ok(&st)) return st;

    flow2_config *f2 = &m->flow2_cfg; /* kept: the pool borrows it */
    flow3_config *f3 = &m->flow3_cfg;
    st = v3 ? flow3_config_from_yaml(m->yaml, f3) : flow2_config_from_yaml(m->yaml, f2);
    if (!cv_is_ok(&st)) return st;
    const causal_flow_config *fc = v3 ? &f3->flow : &f2->flow;
    m->n_mels = fc->output_size;
    m->spk_dim = fc->spk_embed_dim;
    m->lookahead = fc->pre_lookahead_len;
    snprintf(path, sizeof path, "%s/flow.pt", dir);
    st = pt_load(path, &m->flow_sd);
    if (!cv_is_ok(&st)) return st;
    m->flow_noise = nn_noise_gaussian_new(CV_FLOW_NOISE_SEED);
    if (!m->flow_noise) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    st = v3 ? flow3_pool_new(&m->flow_sd, f3, m->flow_noise, &m->causal_flows)
            : flow2_pool_new(&m->flow_sd, f2, m->flow_noise, &m->causal_flows);
    if (!cv_is_ok(&st))
        return cv_error(st.code, "%s: %s", path, st.message);
    m->hift = hift_open(dir, &st);
    if (!cv_is_ok(&st)) return st;
    m->sample_rate = (int)yaml_config_int(m->yaml, "sample_rate",
                                          hift_get_config(m->hift)->sampling_rate);
    m->ct2w = causal_t2w_params_default();
    m->ct2w.first_hop = set->first_hop; /* 0: the reference's */
    if (set->stream_scale != 1.0f)
        LOG_WARN("stream_scale is not applied to %s: its hops grow as the reference's "
                 "(x2 up to 100 tokens)", cv_family_name(m->family));
    st = causal_t2w_params_check(&m->ct2w);
    if (!cv_is_ok(&st)) return cv_error(st.code, "first_hop=%d: %s", set->first_hop, st.message);
    if (set->first_hop > 0) {
        int min = 1;
        while (min <= m->ct2w.token_max_hop_len &&
               first_chunk_samples(m, min * fc->token_mel_ratio) <= 0)
            min++;
        if (set->first_hop < min)
            return cv_error(CV_INVALID_ARGUMENT,
                            "first_hop=%d is too short for %s: a first chunk needs at least %d "
                            "tokens to leave audio after what the vocoder holds back",
                            set->first_hop, cv_family_name(m->family), min);
    }
    m->t2w.first_hop = causal_t2w_first_hop(&m->ct2w, 0); /* for the first-chunk log only */
    st = cv_text_tokenizer_load(dir, m->family, NULL, &m->tok);
    /* v3: the default system prompt, tokenized once (a tokenizer without
     * <|endofprompt|> is refused here rather than on every request) */
    if (cv_is_ok(&st) && v3) st = cv3_llm_system_prompt_ids(m->tok, &m->v3_system, &m->n_v3_system);
    return st;
}

void cv_v2v3_free(cv_model *m)
{
    if (m->causal_flows) instance_pool_free(m->causal_flows, free);
    m->causal_flows = NULL;
    qwen2_lm_free(m->qlm);
    m->qlm = NULL;
    nn_noise_free(m->flow_noise);
    m->flow_noise = NULL;
    free(m->v3_system);
    m->v3_system = NULL;
}

/* v3: the silent-token filter between the LM and the caller's on_token */
typedef struct silent_ctx {
    cv3_silent_filter f;
    bool (*on_token)(void *user, int32_t token);
    void *user;
} silent_ctx;

static bool silent_on_token(void *user, int32_t token)
{
    silent_ctx *c = user;
    if (!cv3_silent_filter_keep(&c->f, token)) return true;
    return c->on_token ? c->on_token(c->user, token) : true;
}

cv_status cv_segment_generate(const cv_model *m, const cv_lm_prompt *p, const int32_t *text,
                              int n_text, const llm_decode_options *o, int32_t **tokens,
                              int *n_tokens)
{
    if (m->family == CV_FAMILY_V1) {
        llm_input in = {.text = text, .n_text = n_text, .prompt_text = p->prompt_text,
                        .n_prompt_text = p->n_prompt_text, .prompt_speech = p->prompt_speech,
                        .n_prompt_speech = p->n_prompt_speech, .embedding = p->embedding};
        return llm_generate(m->llm, &in, o, tokens, n_tokens);
    }
    qwen2_lm_input in = {.text = text, .n_text = n_text, .prompt_text = p->prompt_text,
                         .n_prompt_text = p->n_prompt_text, .prompt_speech = p->prompt_speech,
                         .n_prompt_speech = p->n_prompt_speech};
    if (m->family == CV_FAMILY_V2) return qwen2_lm_generate(m->qlm, &in, o, tokens, n_tokens);
    int32_t *with_sys = NULL;
    if (!cv3_llm_has_endofprompt(p->prompt_text, p->n_prompt_text) &&
        !cv3_llm_has_endofprompt(text, n_text)) {
        int n = 0;
        cv_status st = cv3_llm_prepend_system(m->v3_system, m->n_v3_system, p->prompt_text,
                                              p->n_prompt_text, &with_sys, &n);
        if (!cv_is_ok(&st)) return st;
        in.prompt_text = with_sys;
        in.n_prompt_text = n;
    }
    silent_ctx sc = {.on_token = o->on_token, .user = o->user};
    llm_decode_options oo = *o;
    oo.on_token = silent_on_token;
    oo.user = &sc;
    cv_status st = qwen2_lm_generate(m->qlm, &in, &oo, tokens, n_tokens);
    free(with_sys);
    return st;
}

cv_status cv_segment_t2w(const cv_model *m, const t2w_prompt *prompt, nn_noise *noise,
                         const cv_stop *stop, token_queue *q, bool stream, float speed,
                         t2w_emit_fn emit, void *user, t2w_stream_stats *stats)
{
    cv_status st;
    if (m->family == CV_FAMILY_V1) {
        t2w_state *s = NULL;
        st = t2w_new(m->flow, m->hift, &m->t2w, prompt, noise, &s);
        if (!cv_is_ok(&st)) return st;
        t2w_set_stop(s, stop);
        st = t2w_stream_run(s, q, stream, speed, emit, user, stats);
        t2w_free(s);
        return st;
    }
    causal_t2w *s = NULL;
    st = m->family == CV_FAMILY_V2
             ? t2w2_new(m->causal_flows, m->hift, &m->ct2w, prompt, noise, &s)
             : t2w3_new(m->causal_flows, m->hift, &m->ct2w, prompt, noise, &s);
    if (!cv_is_ok(&st)) return st;
    causal_t2w_set_stop(s, stop);
    st = causal_t2w_run(s, q, stream, speed, emit, user, stats);
    causal_t2w_free(s);
    return st;
}

int cv_segment_first_need(const cv_model *m, const t2w_prompt *prompt)
{
    if (m->family == CV_FAMILY_V1) return m->t2w.first_hop + m->t2w.token_overlap;
    return causal_t2w_first_hop(&m->ct2w, prompt->n_tokens) + m->lookahead;
}
