/* Fun-CosyVoice3-0.5B's speech-token LM (the reference's CosyVoice3LM), on
 * the shared Qwen2 speech LM (blocks/qwen2_lm.h, which documents the
 * computation and the decoding API), and what CosyVoice3Model does with its
 * tokens.
 *
 * CosyVoice3's token layout: speech tokens 0..6560 (speech_token_size S
 * from cosyvoice3.yaml); speech_embedding and llm_decoder (no bias) have
 * S + 200 rows and there is no llm_embedding: sos = S, eos = S + 1,
 * task_id = S + 2, fill = S + 3 are rows of speech_embedding, and every id
 * from S on stops decoding. While fewer than min_len tokens are out the
 * reference masks id S -- sos, not eos (CosyVoice3LM inherits the masking
 * of speech_token_size from Qwen2LM, where that id is eos) -- so eos can
 * end an utterance early; that is kept, as the reference computes it.
 *
 * <|endofprompt|> (text id 151646) must be somewhere in the prompt text or
 * the text: it ends the instruction or system prompt (the reference
 * asserts it). qwen2_lm_generate refuses input without it
 * (INVALID_ARGUMENT); a caller that wants the reference examples' default
 * puts cv3_llm_system_prompt() in front (cv3_llm_prepend_system). */
#ifndef CV_MODEL_V3_LLM_H
#define CV_MODEL_V3_LLM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "model/blocks/qwen2_lm.h"
#include "model/io/yaml_config.h"
#include "text/bpe_tokenizer.h"

#define CV3_ENDOFPROMPT "<|endofprompt|>"
#define CV3_ENDOFPROMPT_ID 151646

/* CosyVoice3's layout for speech_token_size S and the given mix ratio. */
qwen2_lm_layout cv3_llm_layout(int S, int mix_text, int mix_speech);

/* The LM configuration of a CosyVoice3 directory: cosyvoice3.yaml's llm:
 * section (y) and <model_dir>/CosyVoice-BlankEN/config.json. */
cv_status cv3_llm_config(const char *model_dir, const yaml_config *y, qwen2_lm_config *out);

/* Loads the LM of a CosyVoice3 directory from <model_dir>/<weights>
 * (weights NULL: "llm.pt"; Fun-CosyVoice3-0.5B also ships "llm.rl.pt");
 * the model owns its weights. */
cv_status cv3_llm_open(const char *model_dir, const yaml_config *y, const char *weights,
                       qwen2_lm **out);

/* The system prompt the reference's examples start a prompt text with:
 * "You are a helpful assistant.<|endofprompt|>". */
const char *cv3_llm_system_prompt(void);

/* Whether ids[0..n) hold <|endofprompt|>. */
bool cv3_llm_has_endofprompt(const int32_t *ids, int n);

/* The system prompt's ids (malloc'd *ids, *n), tokenized by tok;
 * FAILED_PRECONDITION when tok has no <|endofprompt|> (not CosyVoice3's
 * tokenizer). The engine does this once at load. */
cv_status cv3_llm_system_prompt_ids(const bpe_tokenizer *tok, int32_t **ids, int *n);

/* ids[0..n) with sys[0..n_sys) in front when they hold no <|endofprompt|>
 * (else a plain copy), into a malloc'd *out, *n_out. */
cv_status cv3_llm_prepend_system(const int32_t *sys, int n_sys, const int32_t *ids, int n,
                                 int32_t **out, int *n_out);

/* Both in one: tokenizes the system prompt on every call (tests, tools). */
cv_status cv3_llm_with_system_prompt(const bpe_tokenizer *tok, const int32_t *ids, int n,
                                     int32_t **out, int *n_out);

/* CosyVoice3Model's silent-token filter: after 5 consecutive silent tokens
 * (1, 2, 28, 29, 55, 248, 494, 2241, 2242, 2322, 2323) further consecutive
 * ones are dropped before the flow sees them. Feed every LM token in
 * order; one filter per utterance. */
typedef struct cv3_silent_filter {
    int run; /* consecutive silent tokens so far */
} cv3_silent_filter;

/* Whether `token` is kept. */
bool cv3_silent_filter_keep(cv3_silent_filter *f, int32_t token);

#endif
