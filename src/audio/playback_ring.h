/* The jitter buffer behind real-time playback: a single-producer,
 * single-consumer ring of 16-bit samples. The producer (the thread that
 * receives audio from the network) writes; the consumer (the audio device's
 * callback, which must never block) reads a fixed number of samples at a
 * time and always gets a full buffer: real audio, then silence for
 * whatever is missing.
 *
 * Playback starts only once `start_threshold` samples are buffered (or the
 * stream has ended), so network jitter does not turn into gaps. If the
 * buffer runs dry before the end of the stream, that is an underrun: it is
 * counted, the rest of the buffer is silence, and playback waits for the
 * threshold again (rebuffering) instead of stuttering sample by sample.
 *
 * Lock-free: head and tail are atomics with acquire/release ordering, so
 * neither side ever waits for the other. */
#ifndef CV_PLAYBACK_RING_H
#define CV_PLAYBACK_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct playback_ring {
    int16_t *buf;
    size_t cap;             /* samples */
    size_t start_threshold; /* samples buffered before (re)starting */
    atomic_size_t head;     /* samples ever written (producer) */
    atomic_size_t tail;     /* samples ever read (consumer) */
    atomic_bool finished;   /* the producer will write no more */
    atomic_bool drained;    /* finished, and everything was played */
    atomic_size_t underruns;
    atomic_size_t played;   /* real (non-silence) samples handed out */
    bool playing;           /* consumer only: false while (re)buffering */
} playback_ring;

/* capacity and start_threshold in samples; the threshold is clamped to the
 * capacity. Returns 0, or -1 if out of memory. */
int playback_ring_init(playback_ring *r, size_t capacity, size_t start_threshold);
void playback_ring_free(playback_ring *r);

/* Producer: copies up to n samples, as many as fit; returns how many. */
size_t playback_ring_write(playback_ring *r, const int16_t *pcm, size_t n);
/* Producer: no more audio will come; what is buffered still plays. */
void playback_ring_finish(playback_ring *r);

/* Consumer: fills out[0..n) completely and returns how many of those
 * samples are audio (the rest is silence). */
size_t playback_ring_read(playback_ring *r, int16_t *out, size_t n);

/* Either side. */
size_t playback_ring_buffered(playback_ring *r);
size_t playback_ring_space(playback_ring *r);
bool playback_ring_drained(playback_ring *r);
size_t playback_ring_underruns(playback_ring *r);
size_t playback_ring_played(playback_ring *r);

#endif
