/* CosyVoice-300M's text tokenizer: Whisper's multilingual byte-level BPE
 * (tiktoken's algorithm). Special tokens written literally in the text
 * ("<|en|>", "<|endoftext|>", ...) become their ids; the rest is split by
 * Whisper's pre-tokenizer regular expression (PCRE2) and each piece is
 * byte-pair merged by rank.
 *
 * A loaded tokenizer is read-only: one instance can serve every thread. */
#ifndef CV_BPE_TOKENIZER_H
#define CV_BPE_TOKENIZER_H

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

/* Id of a special token given by its text ("<|endoftext|>"), or -1 if the
 * vocabulary has no such special token. */
int32_t bpe_token_id(const bpe_tokenizer *t, const char *special);
/* Rank (= id) of the mergeable token with these bytes, or -1. */
int32_t bpe_token_rank(const bpe_tokenizer *t, const void *bytes, size_t len);
/* Number of ids: mergeable tokens plus special tokens (51866 for Whisper). */
size_t bpe_vocab_size(const bpe_tokenizer *t);
/* Number of mergeable (non-special) tokens (50257 for Whisper). */
size_t bpe_mergeable_count(const bpe_tokenizer *t);

#endif
