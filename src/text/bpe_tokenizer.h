/* The text tokenizers of the CosyVoice families, one byte-level BPE
 * (bpe_vocab.h, bpe_merge.h) in two configurations:
 *
 *  - CosyVoice-300M (v1): Whisper's multilingual vocabulary (tiktoken's
 *    algorithm, bpe_tokenizer_load). Special tokens written literally in
 *    the text ("<|en|>", "<|endoftext|>", ...) become their ids; the rest is
 *    split by Whisper's pre-tokenizer pattern and each piece is merged by
 *    token rank.
 *  - CosyVoice2 and CosyVoice3: Qwen2's vocabulary read from the model
 *    directory's CosyVoice-BlankEN/ (bpe_tokenizer_load_qwen2), as
 *    transformers' Qwen2Tokenizer encodes: NFC normalization (ICU) of the
 *    whole text; added tokens written literally become their ids (leftmost,
 *    then longest match; neighbouring blanks stay text); the rest is split
 *    by Qwen2's pattern and each piece is merged by the directory's merge
 *    list. No BOS/EOS is added.
 *
 * Both patterns run on PCRE2. A loaded tokenizer is read-only: one instance
 * can serve every thread. */
#ifndef CV_BPE_TOKENIZER_H
#define CV_BPE_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define BPE_VOCAB_FILENAME "multilingual.tiktoken"

typedef struct bpe_tokenizer bpe_tokenizer;

/* Finds the vocabulary file and writes its path into out[cap]. Looks at
 * explicit_path when given (and then only there: a path the user named
 * must not be silently replaced), else model_dir/multilingual.tiktoken,
 * then the installed copy: <prefix>/share/cosyvoice-c/ beside the running
 * program's <prefix>/bin/ (common/datadir.h), then the configured
 * <datadir>/cosyvoice-c/, then the source tree's assets/ (so an uninstalled
 * build works). Either argument may be NULL.
 * CV_NOT_FOUND lists the places tried. */
cv_status bpe_tokenizer_find_vocab(const char *model_dir, const char *explicit_path,
                                   char *out, size_t cap);

/* Loads a tiktoken vocabulary file and appends Whisper's 1609 special
 * tokens. Returns NULL and fills *st (if non-NULL) on failure. */
bpe_tokenizer *bpe_tokenizer_load(const char *path, cv_status *st);

/* Loads Qwen2's tokenizer from a Hugging Face directory (vocab.json +
 * merges.txt + tokenizer_config.json, or tokenizer.json; see bpe_vocab.h)
 * and adds `added` (n_added texts) after the directory's own added tokens,
 * as transformers' add_special_tokens does: a known text keeps its id, any
 * other takes the next id (cosyvoice_added_tokens() has the lists of
 * CosyVoice2 and 3). A tokenizer_config.json naming a tokenizer class other
 * than Qwen2's is refused: its pre-tokenizer would differ. */
bpe_tokenizer *bpe_tokenizer_load_qwen2(const char *dir, const char *const *added,
                                        size_t n_added, cv_status *st);
void bpe_tokenizer_free(bpe_tokenizer *t);

/* Encodes utf8[0..len) into a malloc'd array of ids (*ids, *n; the caller
 * frees *ids). Empty text gives *ids == NULL and *n == 0. Text that is not
 * well-formed UTF-8 gives CV_INVALID_ARGUMENT. */
cv_status bpe_encode(const bpe_tokenizer *t, const char *utf8, size_t len, int32_t **ids,
                     size_t *n);

/* Concatenates the bytes of ids into a malloc'd, NUL-terminated buffer
 * (*out, *out_len without the NUL). The bytes need not be valid UTF-8 for
 * an arbitrary id sequence. Unknown ids give CV_INVALID_ARGUMENT. */
cv_status bpe_decode(const bpe_tokenizer *t, const int32_t *ids, size_t n, char **out,
                     size_t *out_len);

/* The reference's decode for text: as bpe_decode, with special tokens left
 * out (skip_special_tokens). */
cv_status bpe_decode_text(const bpe_tokenizer *t, const int32_t *ids, size_t n, char **out,
                          size_t *out_len);

/* Id of a special token given by its text ("<|endoftext|>"), or -1 if the
 * vocabulary has no such special token. */
int32_t bpe_token_id(const bpe_tokenizer *t, const char *special);
/* Rank (= id) of the mergeable token with these bytes, or -1. */
int32_t bpe_token_rank(const bpe_tokenizer *t, const void *bytes, size_t len);
/* Whether id is a special (added) token's. */
bool bpe_is_special(const bpe_tokenizer *t, int32_t id);
/* Number of ids: mergeable tokens plus special tokens (51866 for Whisper). */
size_t bpe_vocab_size(const bpe_tokenizer *t);
/* Number of mergeable (non-special) tokens (50257 for Whisper). */
size_t bpe_mergeable_count(const bpe_tokenizer *t);

#endif
