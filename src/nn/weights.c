#include "nn/weights.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"
#include "nn/bf16.h"

typedef struct entry {
    const float *w;
    size_t n;
    uint16_t *bf16;
    int refs;
} entry;

/* Sorted by address; a few hundred entries, read on every product. */
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static entry *entries;
static size_t count, cap;
static _Atomic int precision = NN_FP32;

bool nn_set_precision(nn_precision p)
{
    if (p == NN_BF16 && !nn_backend_has_bf16()) return false;
    atomic_store(&precision, p);
    return true;
}

nn_precision nn_get_precision(void) { return (nn_precision)atomic_load(&precision); }

const char *nn_precision_name(nn_precision p) { return p == NN_BF16 ? "bf16" : "fp32"; }

/* Index of the last entry starting at or below p (count if none). */
static size_t find(const float *p)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((uintptr_t)entries[mid].w <= (uintptr_t)p) lo = mid + 1;
        else hi = mid;
    }
    return lo == 0 ? count : lo - 1;
}

bool nn_weights_add(const float *w, size_t n)
{
    if (nn_get_precision() != NN_BF16 || !w || n == 0) return true;
    pthread_rwlock_wrlock(&lock);
    size_t i = find(w);
    if (i < count && entries[i].w == w && entries[i].n == n) {
        entries[i].refs++;
        pthread_rwlock_unlock(&lock);
        return true;
    }
    bool ok = false;
    uint16_t *h = malloc(n * sizeof *h);
    if (h && (count < cap || (entries = realloc(entries, (cap = cap ? 2 * cap : 64) * sizeof *entries)))) {
        nn_bf16_from_f32(w, h, n);
        size_t at = i == count ? 0 : i + 1;
        memmove(entries + at + 1, entries + at, (count - at) * sizeof *entries);
        entries[at] = (entry){w, n, h, 1};
        count++;
        ok = true;
    } else {
        free(h);
    }
    pthread_rwlock_unlock(&lock);
    return ok;
}

void nn_weights_remove(const float *w)
{
    pthread_rwlock_wrlock(&lock);
    size_t i = find(w);
    if (i < count && entries[i].w == w && --entries[i].refs == 0) {
        free(entries[i].bf16);
        memmove(entries + i, entries + i + 1, (count - i - 1) * sizeof *entries);
        if (--count == 0) {
            free(entries);
            entries = NULL;
            cap = 0;
        }
    }
    pthread_rwlock_unlock(&lock);
}

const uint16_t *nn_weights_bf16(const float *p, size_t span)
{
    if (nn_get_precision() != NN_BF16) return NULL;
    const uint16_t *r = NULL;
    pthread_rwlock_rdlock(&lock);
    size_t i = find(p);
    if (i < count) {
        size_t off = ((uintptr_t)p - (uintptr_t)entries[i].w) / sizeof(float);
        if (off + span <= entries[i].n) r = entries[i].bf16 + off;
    }
    pthread_rwlock_unlock(&lock);
    return r;
}
