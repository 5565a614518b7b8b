/* The per-family part of the cosyvoice engine: what loads a CosyVoice2 /
 * CosyVoice3 directory, and the two steps of a segment that differ between
 * families -- the LM that makes its speech tokens and the token-to-audio
 * loop that turns them into audio. cv_call.c runs the same call structure
 * (LM thread + token queue + token-to-audio loop) for every family through
 * these two functions.
 *
 *   v1      llm_generate;        t2w_new + t2w_stream_run
 *   v2, v3  qwen2_lm_generate;   t2w2_new / t2w3_new + causal_t2w_run
 *
 * v3 only: the LM input must hold <|endofprompt|>. When neither the prompt
 * text nor the segment's text has it, the reference examples' system prompt
 * "You are a helpful assistant.<|endofprompt|>" is put in front of the
 * prompt text (its ids tokenized once at load: cv3_llm_system_prompt_ids,
 * cv3_llm_prepend_system); and more than 5 consecutive
 * silent tokens are dropped before the flow (cv3_silent_filter_keep), as
 * CosyVoice3Model does. */
#ifndef CV_ENGINE_COSYVOICE_FAMILY_V2V3_H
#define CV_ENGINE_COSYVOICE_FAMILY_V2V3_H

#include "common/stop.h"
#include "engine/cosyvoice/cv_model.h"
#include "model/blocks/llm_decode.h"
#include "model/blocks/t2w_loop.h"

/* Loads cosyvoice2.yaml / cosyvoice3.yaml (yaml_path), the LM (llm.pt; v3:
 * llm.rl.pt when llm.pt is absent), flow.pt, hift.pt and the Qwen2 text
 * tokenizer into m (m->family set by the caller). Errors name the file. */
cv_status cv_v2v3_load(cv_model *m, const char *dir, const char *yaml_path,
                       const cv_settings *set);
void cv_v2v3_free(cv_model *m);

/* What the LM reads besides the segment's text (borrowed). */
typedef struct cv_lm_prompt {
    const int32_t *prompt_text;
    int n_prompt_text;
    const int32_t *prompt_speech;
    int n_prompt_speech;
    const float *embedding; /* v1 only (Qwen2LM has no speaker embedding) */
} cv_lm_prompt;

/* Speech tokens of one segment: o->on_token sees every token the flow is
 * to get (v3: after the silent-token filter). */
cv_status cv_segment_generate(const cv_model *m, const cv_lm_prompt *p, const int32_t *text,
                              int n_text, const llm_decode_options *o, int32_t **tokens,
                              int *n_tokens);

/* The segment's token-to-audio loop over q; noise is the call's vocoder
 * noise, stop the call's cancellation poll. */
cv_status cv_segment_t2w(const cv_model *m, const t2w_prompt *prompt, nn_noise *noise,
                         const cv_stop *stop, token_queue *q, bool stream, float speed,
                         t2w_emit_fn emit, void *user, t2w_stream_stats *stats);

/* Tokens the first chunk waits for (the log's "first hop"). */
int cv_segment_first_need(const cv_model *m, const t2w_prompt *prompt);

#endif
