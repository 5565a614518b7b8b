/* The test oracles for the BPE merge, shared by the unit tests and the fuzz
 * target, against which the project's heap-based merge is checked:
 *  - tiktoken's plain quadratic loop (repeatedly merge the adjacent pair
 *    whose concatenation has the lowest rank, leftmost on ties);
 *  - the merge-list loop of transformers' slow GPT-2/Qwen2 tokenizers
 *    (repeatedly take the listed adjacent pair of lowest rank and merge all
 *    its occurrences left to right, without overlap). */
#ifndef CV_TEST_BPE_REFERENCE_MERGE_H
#define CV_TEST_BPE_REFERENCE_MERGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Rank of a byte string, or -1 if it is not a token. */
typedef int32_t (*bpe_rank_fn)(const void *ctx, const uint8_t *s, size_t len);

/* Merges p[0..len) into token ranks in out (at least len entries); returns
 * their number. */
static inline size_t bpe_reference_merge(bpe_rank_fn rank, const void *ctx, const uint8_t *p,
                                         size_t len, int32_t *out)
{
    size_t *start = malloc((len + 1) * sizeof *start), parts = len;
    for (size_t i = 0; i <= len; i++) start[i] = i;
    for (;;) {
        int32_t best = -1;
        size_t at = 0;
        for (size_t i = 0; i + 1 < parts; i++) {
            int32_t r = rank(ctx, p + start[i], start[i + 2] - start[i]);
            if (r >= 0 && (best < 0 || r < best)) {
                best = r;
                at = i;
            }
        }
        if (best < 0) break;
        memmove(start + at + 1, start + at + 2, (parts - at - 1) * sizeof *start);
        parts--;
    }
    for (size_t i = 0; i < parts; i++)
        out[i] = rank(ctx, p + start[i], start[i + 1] - start[i]);
    free(start);
    return parts;
}

/* Rank of the pair of token ids (left, right) and the joined token's id in
 * *merged, or -1 if the pair is not in the merge list. */
typedef int32_t (*bpe_pair_rank_fn)(const void *ctx, int32_t left, int32_t right,
                                    int32_t *merged);

/* Merges the piece whose single-byte tokens are ids[0..n) (rewritten in
 * place); returns the number of ids left. */
static inline size_t bpe_reference_merge_list(bpe_pair_rank_fn rank, const void *ctx,
                                              int32_t *ids, size_t n)
{
    for (;;) {
        int32_t best = -1, merged = -1, m;
        for (size_t i = 0; i + 1 < n; i++) {
            int32_t r = rank(ctx, ids[i], ids[i + 1], &m);
            if (r >= 0 && (best < 0 || r < best)) best = r, merged = m;
        }
        if (best < 0) return n;
        int32_t first = -1, second = -1;
        for (size_t i = 0; i + 1 < n; i++)
            if (rank(ctx, ids[i], ids[i + 1], &m) == best) {
                first = ids[i], second = ids[i + 1];
                break;
            }
        size_t o = 0;
        for (size_t i = 0; i < n;) {
            if (i + 1 < n && ids[i] == first && ids[i + 1] == second) {
                ids[o++] = merged;
                i += 2;
            } else {
                ids[o++] = ids[i++];
            }
        }
        n = o;
    }
}

#endif
