/* The merge list of a Hugging Face BPE file as a hash table: the pair of
 * token ids (left, right) -> the pair's rank (its line in merges.txt, the
 * lower the earlier it is merged) and the id of the merged token.
 * Read-only after building, hence safe to share between threads. */
#ifndef CV_BPE_PAIRS_H
#define CV_BPE_PAIRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bpe_pair_slot {
    uint32_t left, right; /* left == UINT32_MAX: empty */
    int32_t rank, merged;
} bpe_pair_slot;

typedef struct bpe_pairs {
    bpe_pair_slot *slots;
    size_t mask;  /* capacity - 1 */
    size_t count; /* 0: no merge list (tiktoken's rule applies) */
} bpe_pairs;

/* Prepares an empty table sized for n pairs. False if out of memory. */
bool bpe_pairs_init(bpe_pairs *p, size_t n);
void bpe_pairs_free(bpe_pairs *p);
/* Sets the pair's rank and merged id; a pair listed again takes the later
 * rank (Python's dict(zip(merges, range(n))) and the Rust tokenizers keep
 * the last occurrence). Ids must be >= 0. */
void bpe_pairs_put(bpe_pairs *p, int32_t left, int32_t right, int32_t rank, int32_t merged);
/* Rank of the pair (and *merged), or -1 if it is not in the list. */
int32_t bpe_pairs_find(const bpe_pairs *p, int32_t left, int32_t right, int32_t *merged);

#endif
