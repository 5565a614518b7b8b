/* The byte-level BPE vocabulary: mergeable tokens read from a tiktoken file
 * (one "base64(bytes) rank" per line; a token's rank is its id and its merge
 * priority) followed by Whisper's special tokens. */
#ifndef CV_BPE_VOCAB_H
#define CV_BPE_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "text/bpe_table.h"

typedef struct bpe_vocab {
    uint8_t *blob;       /* bytes of every token, in id order */
    uint32_t *off;       /* id -> offset in blob; n_total + 1 entries */
    int32_t n_mergeable; /* ids [0, n_mergeable) are BPE tokens (rank = id) */
    int32_t n_total;     /* then the special tokens up to n_total */
    size_t max_len;      /* longest mergeable token, in bytes */
    size_t max_special_len;
    bpe_table mergeable; /* bytes -> rank */
    bpe_table special;   /* text of a special token -> id */
} bpe_vocab;

cv_status bpe_vocab_load(bpe_vocab *v, const char *path);
void bpe_vocab_free(bpe_vocab *v);

/* Rank of the mergeable token s[0..len), or -1 if there is none. */
static inline int32_t bpe_vocab_rank(const bpe_vocab *v, const uint8_t *s, size_t len)
{
    if (len > v->max_len) return -1;
    return bpe_table_find(&v->mergeable, s, len);
}

#endif
