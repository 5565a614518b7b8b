/* Speech tokens handed from the LM thread (producer) to the token-to-audio
 * loop (consumer). The consumer says how many tokens it needs before it
 * can do anything (token_queue_wait) and sleeps on a condition variable;
 * the producer signals it the moment that many exist or when it finishes,
 * so no one polls.
 *
 * Yielding (lm_yield, off unless token_queue_set_yield): on a machine
 * where the LM's and the flow's threads together exceed the cores, every
 * token the LM decodes while a chunk is being computed slows that chunk by
 * about as much CPU as the token costs, and the chunk is what the listener
 * waits for. So while the consumer computes a chunk (compute_begin ..
 * compute_end) on tokens the producer has already delivered, the producer
 * parks in token_queue_yield on a second condition variable, and goes on
 * the moment the consumer is done computing (compute_end, or it waits for
 * tokens again) or the call ends (close). The producer parks once it has
 * hold_at tokens, which the consumer chooses (t2w_loop.c): for the first
 * chunk, the one the listener waits for with nothing to play, exactly that
 * chunk's tokens (no look-ahead: on a CPU-bound machine every token decoded
 * meanwhile delays it); for later chunks one hop more, so the next chunk's
 * tokens are ready when this one is done and the flow does not sit idle
 * while the LM catches up (the two still overlap, which uses the cores
 * better than strict turns when either alone leaves some idle).
 * Nothing the consumer computes waits on the producer, and the consumer
 * leaves the computing state before it writes audio out (which may block on
 * the client), so a parked producer cannot deadlock the call; the producer
 * parks only after pushing a token, never while it waits for text. */
#ifndef CV_MODEL_TOKEN_QUEUE_H
#define CV_MODEL_TOKEN_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"

typedef struct token_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int32_t *tokens;
    int n, cap;
    int wake_at;      /* signal the consumer once n >= wake_at */
    bool done;        /* producer finished (or failed, or was cancelled) */
    cv_status status; /* producer's outcome, valid once done */
    double t_first;   /* cv_now() of the first token (0: none yet) */
    /* yielding (see above) */
    pthread_cond_t producer_cv; /* the parked producer waits here */
    bool yield;       /* park the producer while the consumer computes */
    bool computing;   /* the consumer is computing a chunk */
    int hold_at;
    bool closed;      /* the call is over (or cancelled): never park again */
    int parks;        /* times the producer parked */
    double parked;    /* seconds it spent parked */
} token_queue;

cv_status token_queue_init(token_queue *q);
void token_queue_destroy(token_queue *q);

/* Producer side. push returns false when out of memory (the producer
 * should then stop and finish with an error). */
bool token_queue_push(token_queue *q, int32_t token);
void token_queue_finish(token_queue *q, cv_status status);

/* Consumer side: blocks until at least `need` tokens exist in all or the
 * producer has finished; returns the number of tokens available. *done
 * tells whether the producer has finished. */
int token_queue_wait(token_queue *q, int need, bool *done);
/* Copies tokens [from, from + n) (all must exist). */
void token_queue_copy(token_queue *q, int from, int n, int32_t *out);

/* Yielding. set_yield before the producer starts. compute_begin: the
 * consumer starts computing a chunk, and the producer may go on until it
 * has hold_at tokens; compute_end: it is done computing (token_queue_wait
 * implies it too). */
void token_queue_set_yield(token_queue *q, bool on);
void token_queue_compute_begin(token_queue *q, int hold_at);
void token_queue_compute_end(token_queue *q);
/* Producer side, after a push: parks while yielding applies (consumer
 * computing, at least hold_at tokens exist, not closed, not finished);
 * returns true when it parked. */
bool token_queue_yield(token_queue *q);
/* Releases a parked producer for good (the call ends or is cancelled: the
 * producer must see the cancellation at once, not after the consumer). */
void token_queue_close(token_queue *q);

#endif
