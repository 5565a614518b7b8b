/* The byte-level BPE vocabulary behind both tokenizer formats: mergeable
 * tokens (ids 0 .. n_mergeable-1, as raw bytes), the merge rule, and the
 * special (added) tokens that are split out of the text before merging.
 *
 *  - tiktoken file (Whisper's multilingual vocabulary, CosyVoice-300M):
 *    one "base64(bytes) rank" per line; a token's rank is its id and also
 *    its merge priority (tiktoken's rule); Whisper's special tokens follow
 *    (bpe_vocab_load, bpe_vocab_tiktoken.c).
 *  - Hugging Face directory (Qwen2, CosyVoice2 and 3): vocab.json and
 *    merges.txt (+ the added tokens of tokenizer_config.json), or
 *    tokenizer.json holding the same (bpe_vocab_load_hf, bpe_vocab_hf.c);
 *    a pair is merged by its line in the merge list, and a pair that is not
 *    listed is never merged even when the joined token exists (official
 *    CosyVoice2 directories ship a shortened merges.txt).
 *
 * Read-only once loaded: one vocabulary can serve every thread. */
#ifndef CV_BPE_VOCAB_H
#define CV_BPE_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "text/bpe_pairs.h"
#include "text/bpe_table.h"

typedef struct bpe_vocab {
    uint8_t *blob;       /* bytes of every id in id order (a special token: its text) */
    uint32_t *off;       /* id -> offset in blob; n_total + 1 entries */
    int32_t n_mergeable; /* ids [0, n_mergeable) are BPE tokens */
    int32_t n_total;     /* all ids, special tokens included */
    size_t max_len;      /* longest mergeable token, in bytes */
    bpe_table mergeable; /* bytes -> id */
    /* The merge list; empty (count 0) for tiktoken's rule, where the rank
     * of a pair is the id of the joined token. */
    bpe_pairs pairs;
    /* Whether a piece that is itself a token is taken whole before any
     * merging (tiktoken does; Hugging Face's BPE only with ignore_merges). */
    bool whole_piece_first;

    /* Special tokens: their texts in a blob of their own (a special token
     * may share the id of a mergeable token whose bytes differ from its
     * text), found through `special` (text -> index k, id sp_id[k]). */
    int32_t n_special;
    uint8_t *sp_blob;
    uint32_t *sp_off;  /* n_special + 1 */
    int32_t *sp_id;
    bpe_table special;
    size_t max_special_len;
    uint8_t sp_first[32];  /* bitmap of the first bytes of special texts */
    size_t sp_lengths[64]; /* distinct text lengths, longest first */
    size_t n_sp_lengths;   /* 0 when more than 64 differ: every length is tried */
} bpe_vocab;

/* One special token for bpe_vocab_build: its text and its id, or -1 for
 * "next free id" (n_total so far). */
typedef struct bpe_special_def {
    const char *text;
    size_t len;
    int32_t id;
} bpe_special_def;

/* Loads a tiktoken file and appends Whisper's special tokens. */
cv_status bpe_vocab_load(bpe_vocab *v, const char *path);

/* Loads a Hugging Face BPE directory (see above) and adds `added` after the
 * directory's own added tokens as transformers' add_special_tokens does: a
 * text that is already a special token is skipped, a text that is a
 * mergeable token (in the byte-level alphabet) becomes special with that
 * token's id, any other takes the next id. */
cv_status bpe_vocab_load_hf(bpe_vocab *v, const char *dir, const char *const *added,
                            size_t n_added);

void bpe_vocab_free(bpe_vocab *v);

/* Shared by the loaders, in this order:
 * bpe_vocab_build takes ownership of the mergeable tokens (blob,
 * off[n_mergeable + 1]; both malloc'd, owned by v even on failure) and
 * builds their table, checking that every byte is a token and that no token
 * appears twice; bpe_vocab_add_specials (once) appends the special tokens in
 * order. `what` names the source in error messages. */
cv_status bpe_vocab_build(bpe_vocab *v, const char *what, uint8_t *blob, uint32_t *off,
                          int32_t n_mergeable);
cv_status bpe_vocab_add_specials(bpe_vocab *v, const char *what,
                                 const bpe_special_def *specials, size_t n_specials);

/* Reads a whole file (at most max_size bytes) into a malloc'd buffer. */
cv_status bpe_read_file(const char *path, size_t max_size, char **data, size_t *size);

/* Id of the mergeable token s[0..len), or -1 if there is none. */
static inline int32_t bpe_vocab_rank(const bpe_vocab *v, const uint8_t *s, size_t len)
{
    if (len > v->max_len) return -1;
    return bpe_table_find(&v->mergeable, s, len);
}

/* Id of the special token whose text is s[0..len), or -1. */
int32_t bpe_vocab_special(const bpe_vocab *v, const uint8_t *s, size_t len);

/* The leftmost special token in s[from..len) (the longest of those starting
 * there): its start, with its length and id; NULL if there is none. */
const char *bpe_vocab_find_special(const bpe_vocab *v, const char *s, size_t len, size_t from,
                                   size_t *tok_len, int32_t *id);

#endif
