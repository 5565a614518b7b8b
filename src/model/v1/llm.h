/* CosyVoice-300M's speech-token language model (TransformerLM, v1).
 *
 * Text ids (prompt text then text) are embedded, run through the text
 * encoder (ConformerEncoder) and projected to the LM width; the speaker
 * embedding is L2-normalised and projected. The LM (TransformerEncoder)
 * then reads [sos, speaker, text..., task_id, prompt speech tokens...] and
 * produces speech tokens one at a time (llm_decoder -> log_softmax ->
 * sampler), feeding each back through speech_embedding, until eos or
 * max_len = n_text * max_ratio tokens (eos is forbidden for the first
 * n_text * min_ratio steps; n_text excludes the prompt text).
 *
 * A loaded model is read-only and can serve concurrent llm_generate calls;
 * each call keeps its own key/value cache. */
#ifndef CV_MODEL_LLM_H
#define CV_MODEL_LLM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "model/blocks/llm_decode.h"
#include "model/blocks/llm_sampling.h"
#include "model/io/pt_load.h"
#include "model/blocks/rel_encoder.h"

typedef struct llm_config {
    int text_encoder_input_size;
    int llm_input_size;
    int llm_output_size;
    int text_token_size;   /* 51866 */
    int speech_token_size; /* 4096; eos is this id */
    int spk_embed_dim;     /* 192 */
    llm_sampling_params sampling;
    rel_encoder_config text_encoder;
    rel_encoder_config llm;
} llm_config;

/* (llm_config_from_yaml in model/llm_yaml.h reads it from cosyvoice.yaml.) */

typedef struct llm_model llm_model;

/* Binds the weights of llm.pt (borrowed: `sd` must outlive the model). */
cv_status llm_load(const pt_dict *sd, const llm_config *cfg, llm_model **out);
void llm_free(llm_model *m);
/* Switches token-by-token decoding to 8-bit weights (per-row scales,
 * float32 accumulation) for the LM's layers and its output projection:
 * a quarter of the memory traffic per token. The text encoder and the
 * prompt pass stay float32. Call before sharing the model between threads. */
cv_status llm_quantize(llm_model *m);
const llm_config *llm_cfg(const llm_model *m);
/* The eos id (== speech_token_size). */
int llm_eos(const llm_model *m);

typedef struct llm_input {
    const int32_t *text; /* n_text >= 1 */
    int n_text;
    const int32_t *prompt_text; /* may be empty */
    int n_prompt_text;
    const int32_t *prompt_speech; /* may be empty */
    int n_prompt_speech;
    const float *embedding; /* [spk_embed_dim], or NULL for none */
} llm_input;

/* Decodes speech tokens. *tokens (malloc'd, may be NULL when none) and
 * *n_tokens receive everything produced, also when cancelled or stopped. */
cv_status llm_generate(const llm_model *m, const llm_input *in, const llm_decode_options *o,
                       int32_t **tokens, int *n_tokens);

/* The log-probabilities of the next token after `history` (n_history
 * speech tokens already produced), computed without a cache by running the
 * LM over the whole sequence; eos is not masked. For tests: decoding must
 * agree with it. logp has speech_token_size + 1 entries. */
cv_status llm_score_full(const llm_model *m, const llm_input *in, const int32_t *history,
                         int n_history, float *logp);

#endif
