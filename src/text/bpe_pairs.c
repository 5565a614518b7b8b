#include "text/bpe_pairs.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT32_MAX

static size_t hash_pair(uint32_t l, uint32_t r)
{
    uint64_t k = ((uint64_t)l << 32) | r;
    k ^= k >> 33; /* murmur3's finalizer: ids are small and dense */
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return (size_t)k;
}

bool bpe_pairs_init(bpe_pairs *p, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    memset(p, 0, sizeof *p);
    p->slots = malloc(cap * sizeof *p->slots);
    if (!p->slots) return false;
    for (size_t i = 0; i < cap; i++) p->slots[i].left = EMPTY;
    p->mask = cap - 1;
    return true;
}

void bpe_pairs_free(bpe_pairs *p)
{
    free(p->slots);
    memset(p, 0, sizeof *p);
}

static size_t probe(const bpe_pairs *p, uint32_t l, uint32_t r)
{
    size_t i = hash_pair(l, r) & p->mask;
    while (p->slots[i].left != EMPTY && (p->slots[i].left != l || p->slots[i].right != r))
        i = (i + 1) & p->mask;
    return i;
}

void bpe_pairs_put(bpe_pairs *p, int32_t left, int32_t right, int32_t rank, int32_t merged)
{
    bpe_pair_slot *s = &p->slots[probe(p, (uint32_t)left, (uint32_t)right)];
    if (s->left == EMPTY) p->count++;
    *s = (bpe_pair_slot){(uint32_t)left, (uint32_t)right, rank, merged};
}

int32_t bpe_pairs_find(const bpe_pairs *p, int32_t left, int32_t right, int32_t *merged)
{
    if (!p->count) return -1;
    const bpe_pair_slot *s = &p->slots[probe(p, (uint32_t)left, (uint32_t)right)];
    if (s->left == EMPTY) return -1;
    *merged = s->merged;
    return s->rank;
}
