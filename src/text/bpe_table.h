/* Open-addressing hash table from byte strings to token ids, for the BPE
 * vocabulary. The keys are not copied: every id names a slice of one shared
 * byte blob (blob[off[id] .. off[id + 1])), so a slot only holds an id.
 * Read-only after building, hence safe to share between threads. */
#ifndef CV_BPE_TABLE_H
#define CV_BPE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bpe_table {
    int32_t *slots;       /* id, or -1 for an empty slot */
    uint32_t *hashes;     /* hash of the key in each slot (skips most memcmp) */
    size_t mask;          /* capacity - 1 (capacity is a power of two) */
    const uint8_t *blob;  /* key bytes, shared with the vocabulary */
    const uint32_t *off;  /* id -> start of its key in blob; off[id+1] ends it */
} bpe_table;

/* Prepares an empty table sized for n keys. Returns false if out of memory. */
bool bpe_table_init(bpe_table *t, size_t n, const uint8_t *blob, const uint32_t *off);
void bpe_table_free(bpe_table *t);
/* Adds id (whose key is its blob slice). Returns false if an equal key is
 * already present. */
bool bpe_table_insert(bpe_table *t, int32_t id);
/* Id whose key equals s[0..len), or -1. */
int32_t bpe_table_find(const bpe_table *t, const uint8_t *s, size_t len);

#endif
