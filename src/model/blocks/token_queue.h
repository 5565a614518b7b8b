/* Speech tokens handed from the LM thread (producer) to the token-to-audio
 * loop (consumer). The consumer says how many tokens it needs before it
 * can do anything (token_queue_wait) and sleeps on a condition variable;
 * the producer signals it the moment that many exist or when it finishes,
 * so no one polls. */
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

#endif
