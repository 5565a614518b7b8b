/* The test oracle for the BPE merge, shared by the unit test and the fuzz
 * target: tiktoken's plain quadratic loop (repeatedly merge the adjacent
 * pair whose concatenation has the lowest rank, leftmost on ties), against
 * which the project's heap-based merge is checked. */
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

#endif
