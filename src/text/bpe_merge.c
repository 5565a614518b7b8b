#include "text/bpe_merge.h"

#include <stdbool.h>
#include <stdlib.h>

/* The piece is a linked list of parts; part i starts at byte i and, while
 * alive, extends to the start of its successor nxt[i]. A heap holds
 * candidate merges (rank of part i joined with its successor, i); an entry
 * is stale once that rank is no longer pair_rank[i]: ranks are unique per
 * byte string, and part i's joined span only changes by growing. */

typedef struct cand {
    int32_t rank;
    uint32_t pos;
} cand;

static bool cand_less(cand a, cand b)
{
    return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos);
}

static void heap_push(cand *h, size_t *n, cand c)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!cand_less(c, h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = c;
}

static cand heap_pop(cand *h, size_t *n)
{
    cand top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && cand_less(h[c + 1], h[c])) c++;
        if (!cand_less(h[c], last)) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = last;
    return top;
}

#define NONE UINT32_MAX
#define STACK_PIECE 128 /* most pieces are words: no malloc for them */

/* Rank of part i joined with its successor, or -1. */
static int32_t pair_rank(const bpe_vocab *v, const uint8_t *p, size_t len,
                         const uint32_t *nxt, uint32_t i)
{
    uint32_t j = nxt[i];
    if (j == NONE) return -1;
    size_t end = nxt[j] == NONE ? len : nxt[j];
    return bpe_vocab_rank(v, p + i, end - i);
}

size_t bpe_merge(const bpe_vocab *v, const uint8_t *p, size_t len, int32_t *out)
{
    uint32_t nxt_s[STACK_PIECE], prv_s[STACK_PIECE];
    int32_t rank_s[STACK_PIECE];
    cand heap_s[3 * STACK_PIECE];
    uint32_t *nxt = nxt_s, *prv = prv_s;
    int32_t *pr = rank_s;
    cand *heap = heap_s;
    void *block = NULL;
    if (len > STACK_PIECE) {
        /* Each merge pushes at most two entries onto the len - 1 initial ones. */
        block = malloc(len * (2 * sizeof(uint32_t) + sizeof(int32_t) + 3 * sizeof(cand)));
        if (!block) return 0;
        heap = block;
        nxt = (uint32_t *)(heap + 3 * len);
        prv = nxt + len;
        pr = (int32_t *)(prv + len);
    }

    size_t hn = 0;
    for (uint32_t i = 0; i < len; i++) {
        nxt[i] = i + 1 < len ? i + 1 : NONE;
        prv[i] = i > 0 ? i - 1 : NONE;
    }
    for (uint32_t i = 0; i < len; i++) {
        pr[i] = pair_rank(v, p, len, nxt, i);
        if (pr[i] >= 0) heap_push(heap, &hn, (cand){pr[i], i});
    }
    while (hn) {
        cand c = heap_pop(heap, &hn);
        uint32_t i = c.pos;
        if (pr[i] != c.rank) continue; /* stale, or part i was absorbed (-1) */
        uint32_t j = nxt[i];           /* absorb the successor */
        nxt[i] = nxt[j];
        if (nxt[j] != NONE) prv[nxt[j]] = i;
        pr[j] = -1;
        pr[i] = pair_rank(v, p, len, nxt, i);
        if (pr[i] >= 0) heap_push(heap, &hn, (cand){pr[i], i});
        uint32_t h = prv[i];
        if (h != NONE) {
            pr[h] = pair_rank(v, p, len, nxt, h);
            if (pr[h] >= 0) heap_push(heap, &hn, (cand){pr[h], h});
        }
    }

    size_t n = 0;
    for (uint32_t i = 0; i != NONE; i = nxt[i]) {
        size_t end = nxt[i] == NONE ? len : nxt[i];
        out[n++] = bpe_vocab_rank(v, p + i, end - i);
    }
    free(block);
    return n;
}
