/* The prompt text's token ids, as a model directory's zero-shot front end
 * makes them: what the LM reads as the transcript of a prompt recording, and
 * what a saved voice stores as its prompt_text (cosyvoice-speaker add).
 *
 * One small interface, so callers need not know which tokenizer a family
 * uses. CosyVoice-300M: the text is normalized as for a zero-shot request
 * (verbatim when it holds "<|...|>" special tokens) and tokenized with
 * Whisper's multilingual BPE (cv_prompt_text_tokens). CosyVoice2/3 tokenize
 * with Qwen2's BPE from CosyVoice-BlankEN/ plus the family's special tokens
 * (model/frontend/text_tokenizer.h), normalized the same way.
 *
 * The reference's add_zero_shot_spk tokenizes the prompt text without
 * normalizing it, while inference_zero_shot normalizes it first; a saved
 * voice here stores what the equivalent zero-shot request would use, so the
 * two give the same audio. */
#ifndef CV_ENGINE_COSYVOICE_PROMPT_TEXT_H
#define CV_ENGINE_COSYVOICE_PROMPT_TEXT_H

#include <stdint.h>

#include "common/status.h"

typedef struct cv_prompt_text cv_prompt_text;

/* The tokenizer of the model in dir (its family told by the yaml's name).
 * NULL with *st set when it cannot be loaded. */
cv_prompt_text *cv_prompt_text_open(const char *model_dir, cv_status *st);
/* *ids malloc'ed (NULL and *n = 0 for text without tokens). */
cv_status cv_prompt_text_encode(const cv_prompt_text *p, const char *text, int32_t **ids, int *n);
void cv_prompt_text_free(cv_prompt_text *p);

#endif
