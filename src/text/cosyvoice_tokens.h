/* The tokens CosyVoice's tokenizer classes add to Qwen2's vocabulary
 * (CosyVoice2Tokenizer, CosyVoice3Tokenizer: add_special_tokens with this
 * list after <|endoftext|>). Qwen2's directory already has <|im_start|> and
 * <|im_end|> (151644, 151645), so the new ones take ids from 151646 on:
 * CosyVoice2 adds 17 (<|endofprompt|> 151646 .. [mn] 151662), CosyVoice3
 * the same 17 and 261 more (<|endofsystem|>, ARPAbet phones and pinyin
 * initials and finals, up to [ǜ] 151923). The lists live in the reference's
 * Python code, not in the model directory, hence here. */
#ifndef CV_TEXT_COSYVOICE_TOKENS_H
#define CV_TEXT_COSYVOICE_TOKENS_H

#include <stddef.h>

/* The list of version 2 or 3 (in order) and its length in *n; NULL for any
 * other version. */
const char *const *cosyvoice_added_tokens(int version, size_t *n);

#endif
