#include "audio/playback_ring.h"

#include <stdlib.h>
#include <string.h>

int playback_ring_init(playback_ring *r, size_t capacity, size_t start_threshold)
{
    memset(r, 0, sizeof *r);
    if (capacity == 0)
        capacity = 1;
    r->buf = malloc(capacity * sizeof *r->buf);
    if (!r->buf)
        return -1;
    r->cap = capacity;
    r->start_threshold = start_threshold < capacity ? start_threshold : capacity;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->finished, false);
    atomic_init(&r->drained, false);
    atomic_init(&r->underruns, 0);
    atomic_init(&r->played, 0);
    return 0;
}

void playback_ring_free(playback_ring *r)
{
    free(r->buf);
    r->buf = NULL;
}

size_t playback_ring_write(playback_ring *r, const int16_t *pcm, size_t n)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t space = r->cap - (head - tail);
    if (n > space)
        n = space;
    size_t at = head % r->cap, first = r->cap - at < n ? r->cap - at : n;
    memcpy(r->buf + at, pcm, first * sizeof *pcm);
    memcpy(r->buf, pcm + first, (n - first) * sizeof *pcm);
    /* release: the samples are in place before the consumer sees them */
    atomic_store_explicit(&r->head, head + n, memory_order_release);
    return n;
}

void playback_ring_finish(playback_ring *r)
{
    atomic_store_explicit(&r->finished, true, memory_order_release);
}

size_t playback_ring_read(playback_ring *r, int16_t *out, size_t n)
{
    /* finished first: once it is seen set, head is final */
    bool fin = atomic_load_explicit(&r->finished, memory_order_acquire);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t avail = head - tail;
    if (!r->playing) {
        if (avail >= r->start_threshold || (fin && avail > 0)) {
            r->playing = true;
        } else {
            memset(out, 0, n * sizeof *out);
            if (fin && avail == 0)
                atomic_store(&r->drained, true);
            return 0;
        }
    }
    size_t take = avail < n ? avail : n;
    size_t at = tail % r->cap, first = r->cap - at < take ? r->cap - at : take;
    memcpy(out, r->buf + at, first * sizeof *out);
    memcpy(out + first, r->buf, (take - first) * sizeof *out);
    atomic_store_explicit(&r->tail, tail + take, memory_order_release);
    atomic_fetch_add(&r->played, take);
    if (take < n) {
        memset(out + take, 0, (n - take) * sizeof *out);
        if (fin) {
            atomic_store(&r->drained, true); /* the end, not a gap */
        } else {
            atomic_fetch_add(&r->underruns, 1);
            r->playing = false; /* rebuffer up to the threshold */
        }
    }
    return take;
}

size_t playback_ring_buffered(playback_ring *r)
{
    return atomic_load(&r->head) - atomic_load(&r->tail);
}

size_t playback_ring_space(playback_ring *r) { return r->cap - playback_ring_buffered(r); }
bool playback_ring_drained(playback_ring *r) { return atomic_load(&r->drained); }
size_t playback_ring_underruns(playback_ring *r) { return atomic_load(&r->underruns); }
size_t playback_ring_played(playback_ring *r) { return atomic_load(&r->played); }
