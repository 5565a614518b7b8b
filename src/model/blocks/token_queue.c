/* Producer/consumer hand-over of speech tokens; see token_queue.h. */
#include "model/blocks/token_queue.h"

#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"

cv_status token_queue_init(token_queue *q)
{
    memset(q, 0, sizeof *q);
    q->status = cv_ok();
    q->wake_at = 1;
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return cv_error(CV_INTERNAL, "token queue: mutex");
    if (pthread_cond_init(&q->cv, NULL) != 0) {
        pthread_mutex_destroy(&q->mu);
        return cv_error(CV_INTERNAL, "token queue: condition variable");
    }
    if (pthread_cond_init(&q->producer_cv, NULL) != 0) {
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
        return cv_error(CV_INTERNAL, "token queue: condition variable");
    }
    return cv_ok();
}

void token_queue_destroy(token_queue *q)
{
    pthread_cond_destroy(&q->cv);
    pthread_cond_destroy(&q->producer_cv);
    pthread_mutex_destroy(&q->mu);
    free(q->tokens);
    q->tokens = NULL;
}

bool token_queue_push(token_queue *q, int32_t token)
{
    pthread_mutex_lock(&q->mu);
    if (q->n == q->cap) {
        int cap = q->cap ? 2 * q->cap : 256;
        int32_t *t = realloc(q->tokens, (size_t)cap * sizeof *t);
        if (!t) {
            pthread_mutex_unlock(&q->mu);
            return false;
        }
        q->tokens = t;
        q->cap = cap;
    }
    q->tokens[q->n++] = token;
    if (q->n == 1) q->t_first = cv_now();
    if (q->n == q->wake_at) pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return true;
}

void token_queue_finish(token_queue *q, cv_status status)
{
    pthread_mutex_lock(&q->mu);
    q->done = true;
    q->status = status;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

int token_queue_wait(token_queue *q, int need, bool *done)
{
    pthread_mutex_lock(&q->mu);
    if (q->computing) {
        q->computing = false;
        pthread_cond_broadcast(&q->producer_cv);
    }
    q->wake_at = need;
    while (q->n < need && !q->done) pthread_cond_wait(&q->cv, &q->mu);
    int n = q->n;
    *done = q->done;
    pthread_mutex_unlock(&q->mu);
    return n;
}

void token_queue_copy(token_queue *q, int from, int n, int32_t *out)
{
    pthread_mutex_lock(&q->mu);
    memcpy(out, q->tokens + from, (size_t)n * sizeof *out);
    pthread_mutex_unlock(&q->mu);
}

void token_queue_set_yield(token_queue *q, bool on)
{
    pthread_mutex_lock(&q->mu);
    q->yield = on;
    pthread_mutex_unlock(&q->mu);
}

void token_queue_compute_begin(token_queue *q, int hold_at)
{
    pthread_mutex_lock(&q->mu);
    q->computing = true;
    q->hold_at = hold_at;
    pthread_mutex_unlock(&q->mu);
}

void token_queue_compute_end(token_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->computing = false;
    pthread_cond_broadcast(&q->producer_cv);
    pthread_mutex_unlock(&q->mu);
}

static bool must_park(const token_queue *q)
{
    return q->yield && q->computing && q->n >= q->hold_at && !q->closed && !q->done;
}

bool token_queue_yield(token_queue *q)
{
    pthread_mutex_lock(&q->mu);
    bool parked = must_park(q);
    if (parked) {
        double t0 = cv_now();
        q->parks++;
        while (must_park(q)) pthread_cond_wait(&q->producer_cv, &q->mu);
        q->parked += cv_now() - t0;
    }
    pthread_mutex_unlock(&q->mu);
    return parked;
}

void token_queue_close(token_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->producer_cv);
    pthread_mutex_unlock(&q->mu);
}
