/* One synthesis call of the cosyvoice engine: text segments -> LM thread
 * (speech tokens for every segment in turn, each into its own token queue)
 * -> token-to-audio loop on the calling thread -> sink.
 *
 * The LM starts as soon as the text tokens and its conditioning exist; the
 * token-to-audio loop sleeps on the queue until enough tokens for the next
 * chunk exist, so each chunk is written to the sink the moment it is made.
 * The LM of the next segment runs while the current one's last chunk is
 * being vocoded. Cancellation (sink) stops the LM before its next token.
 * With lm_yield (cv_settings) the LM parks while a chunk is computed once
 * it has delivered that chunk's tokens (token_queue.h); the end of the
 * call, cancelled or not, releases it. */
#ifndef CV_ENGINE_COSYVOICE_CALL_H
#define CV_ENGINE_COSYVOICE_CALL_H

#include "engine/cosyvoice/cv_model.h"
#include "engine/engine.h"

/* What the LM is conditioned on besides the text (borrowed). */
typedef struct cv_conditioning {
    const int32_t *prompt_text; /* instruct: the instruction; zero_shot: prompt text */
    int n_prompt_text;
    const int32_t *llm_prompt_speech; /* zero_shot */
    int n_llm_prompt_speech;
    const float *llm_embedding;  /* NULL: none (instruct) */
    const int32_t *flow_prompt_speech;
    int n_flow_prompt_speech;
    const float *flow_prompt_feat; /* [n][80] */
    int n_flow_prompt_frames;
    const float *flow_embedding;
} cv_conditioning;

/* The conditioning of a speaker of m (sft / instruct by spk_id): its
 * x-vector for the flow and (v1, llm_prompt) the LM; a CosyVoice2/3 saved
 * voice conditions the flow on its prompt too, and with llm_prompt (sft) the
 * LM on its prompt text and speech tokens, as zero_shot with that prompt.
 * Fields are borrowed from m; v must be cv_model_voice(m, name). */
void cv_conditioning_for_voice(const cv_model *m, const spk_voice *v, const float *embedding,
                               bool llm_prompt, cv_conditioning *cond);

/* Figures of one call (seconds; cv_now() times for t_*). */
typedef struct cv_call_stats {
    int segments, chunks, tokens;
    size_t samples;
    double t_start, t_frontend_done, t_lm_start, t_first_token, t_first_ready, t_first_chunk,
        t_end;
    double first_flow, first_vocoder; /* the first chunk's stages */
    double cpu_first_chunk;           /* t2w_process_cpu() at t_first_chunk */
    double lm_seconds;                /* LM thread busy time (parked time included) */
    int lm_parks;                     /* lm_yield: times the LM made way for a chunk */
    double lm_parked;                 /* and the seconds it spent parked */
    double flow_seconds, vocoder_seconds;
    /* process CPU seconds over the same intervals (stages overlap when
     * streaming; without streaming they run one after the other) */
    double lm_cpu, flow_cpu, vocoder_cpu;
} cv_call_stats;

/* Runs the call: segments are made from req->tts_text here (the front end
 * is timed as part of the call); cond describes the speaker/prompt. stats
 * may be NULL. */
cv_status cv_call_run(const cv_model *m, const cv_settings *set, const tts_request *req,
                      const cv_conditioning *cond, double t_start, tts_sink *sink,
                      cv_call_stats *stats);

#endif
