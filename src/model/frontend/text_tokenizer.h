/* The text tokenizer of a model directory, chosen by its family:
 *
 *   v1 (CosyVoice-300M)    Whisper's multilingual.tiktoken (the reference
 *                          takes it from the whisper package; official
 *                          directories do not ship it: see
 *                          bpe_tokenizer_find_vocab for where it is looked for)
 *   v2 (CosyVoice2-0.5B)   CosyVoice-BlankEN/ (Qwen2) + CosyVoice2's 17 tokens
 *   v3 (Fun-CosyVoice3)    CosyVoice-BlankEN/ (Qwen2) + CosyVoice3's 278 tokens
 *
 * The ids it gives are what the family's LM reads as text tokens. */
#ifndef CV_MODEL_TEXT_TOKENIZER_H
#define CV_MODEL_TEXT_TOKENIZER_H

#include "common/status.h"
#include "model/family.h"
#include "text/bpe_tokenizer.h"

/* Loads the tokenizer of model_dir's family into *out. `override` replaces
 * the default location when not NULL: the tiktoken file (v1) or the
 * tokenizer directory (v2, v3). */
cv_status cv_text_tokenizer_load(const char *model_dir, cv_family family, const char *override,
                                 bpe_tokenizer **out);

#endif
