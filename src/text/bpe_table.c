#include "text/bpe_table.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a: keys are short (a few bytes on average), so a simple byte-wise
 * hash is as fast as anything fancier. */
static uint32_t hash_bytes(const uint8_t *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

bool bpe_table_init(bpe_table *t, size_t n, const uint8_t *blob, const uint32_t *off)
{
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2; /* load factor <= 1/2 keeps probes short */
    memset(t, 0, sizeof *t);
    t->slots = malloc(cap * sizeof *t->slots);
    t->hashes = malloc(cap * sizeof *t->hashes);
    if (!t->slots || !t->hashes) {
        bpe_table_free(t);
        return false;
    }
    memset(t->slots, 0xff, cap * sizeof *t->slots); /* all -1 */
    t->mask = cap - 1;
    t->blob = blob;
    t->off = off;
    return true;
}

void bpe_table_free(bpe_table *t)
{
    free(t->slots);
    free(t->hashes);
    t->slots = NULL;
    t->hashes = NULL;
}

static size_t probe(const bpe_table *t, const uint8_t *s, size_t len, uint32_t h)
{
    size_t i = h & t->mask;
    for (;;) {
        int32_t id = t->slots[i];
        if (id < 0) return i;
        if (t->hashes[i] == h) {
            size_t klen = t->off[id + 1] - t->off[id];
            if (klen == len && memcmp(t->blob + t->off[id], s, len) == 0) return i;
        }
        i = (i + 1) & t->mask;
    }
}

bool bpe_table_insert(bpe_table *t, int32_t id)
{
    const uint8_t *s = t->blob + t->off[id];
    size_t len = t->off[id + 1] - t->off[id];
    uint32_t h = hash_bytes(s, len);
    size_t i = probe(t, s, len, h);
    if (t->slots[i] >= 0) return false;
    t->slots[i] = id;
    t->hashes[i] = h;
    return true;
}

int32_t bpe_table_find(const bpe_table *t, const uint8_t *s, size_t len)
{
    return t->slots[probe(t, s, len, hash_bytes(s, len))];
}
