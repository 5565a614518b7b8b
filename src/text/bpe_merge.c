#include "text/bpe_merge.h"

#include <stdbool.h>
#include <stdlib.h>

/* The piece is a linked list of parts; part i starts at byte i and, while
 * alive, extends to the start of its successor nxt[i]; tok[i] is its id. A
 * heap holds candidate merges (rank of part i joined with its successor,
 * i); an entry is stale once that rank is no longer pr[i]: a rank names one
 * pair of tokens (one joined byte string under tiktoken's rule), and part
 * i's joined span only changes by growing.
 *
 * The two rules differ only when a merge creates a pair of lower rank than
 * the one being merged (never for a merge list learnt by BPE, where a token
 * is listed after its parts): tiktoken merges it next, a merge list first
 * finishes every occurrence of the current pair. So under a merge list all
 * entries of the popped rank are taken off the heap before any is merged. */

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

typedef struct parts {
    const bpe_vocab *v;
    const uint8_t *p;
    size_t len;
    uint32_t *nxt, *prv;
    int32_t *pr, *tok;
} parts;

/* Rank of part i joined with its successor, or -1; *merged gets the id of
 * the joined token. */
static int32_t pair_rank(const parts *s, uint32_t i, int32_t *merged)
{
    uint32_t j = s->nxt[i];
    if (j == NONE) return -1;
    if (s->v->pairs.count) return bpe_pairs_find(&s->v->pairs, s->tok[i], s->tok[j], merged);
    size_t end = s->nxt[j] == NONE ? s->len : s->nxt[j];
    return *merged = bpe_vocab_rank(s->v, s->p + i, end - i);
}

static void push_pair(parts *s, cand *heap, size_t *hn, uint32_t i)
{
    int32_t merged;
    s->pr[i] = pair_rank(s, i, &merged);
    if (s->pr[i] >= 0) heap_push(heap, hn, (cand){s->pr[i], i});
}

/* Part i absorbs its successor. */
static void merge_at(parts *s, cand *heap, size_t *hn, uint32_t i)
{
    int32_t merged;
    pair_rank(s, i, &merged);
    uint32_t j = s->nxt[i];
    s->nxt[i] = s->nxt[j];
    if (s->nxt[j] != NONE) s->prv[s->nxt[j]] = i;
    s->pr[j] = -1;
    s->tok[i] = merged;
    push_pair(s, heap, hn, i);
    if (s->prv[i] != NONE) push_pair(s, heap, hn, s->prv[i]);
}

size_t bpe_merge(const bpe_vocab *v, const uint8_t *p, size_t len, int32_t *out)
{
    uint32_t nxt_s[STACK_PIECE], prv_s[STACK_PIECE];
    int32_t rank_s[STACK_PIECE], tok_s[STACK_PIECE];
    cand heap_s[3 * STACK_PIECE], batch_s[STACK_PIECE];
    parts s = {.v = v, .p = p, .len = len, .nxt = nxt_s, .prv = prv_s, .pr = rank_s,
               .tok = tok_s};
    cand *heap = heap_s, *batch = batch_s;
    void *block = NULL;
    if (len > STACK_PIECE) {
        /* Each merge pushes at most two entries onto the len - 1 initial ones. */
        block = malloc(len * (2 * sizeof(uint32_t) + 2 * sizeof(int32_t) + 4 * sizeof(cand)));
        if (!block) return 0;
        heap = block;
        batch = heap + 3 * len;
        s.nxt = (uint32_t *)(batch + len);
        s.prv = s.nxt + len;
        s.pr = (int32_t *)(s.prv + len);
        s.tok = s.pr + len;
    }

    size_t hn = 0;
    for (uint32_t i = 0; i < len; i++) {
        s.nxt[i] = i + 1 < len ? i + 1 : NONE;
        s.prv[i] = i > 0 ? i - 1 : NONE;
        s.tok[i] = bpe_vocab_rank(v, p + i, 1);
    }
    for (uint32_t i = 0; i < len; i++) push_pair(&s, heap, &hn, i);
    bool by_list = v->pairs.count != 0;
    while (hn) {
        cand c = heap_pop(heap, &hn);
        if (s.pr[c.pos] != c.rank) continue; /* stale, or part absorbed (-1) */
        if (!by_list) {
            merge_at(&s, heap, &hn, c.pos);
            continue;
        }
        /* every occurrence of this pair, in order of position */
        size_t nb = 0;
        batch[nb++] = c;
        while (hn && heap[0].rank == c.rank) batch[nb++] = heap_pop(heap, &hn);
        for (size_t k = 0; k < nb; k++)
            if (s.pr[batch[k].pos] == c.rank) merge_at(&s, heap, &hn, batch[k].pos);
    }

    size_t n = 0;
    for (uint32_t i = 0; i != NONE; i = s.nxt[i]) out[n++] = s.tok[i];
    free(block);
    return n;
}
