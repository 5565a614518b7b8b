/* Unit tests for the token queue's yielding (lm_yield, token_queue.h): a
 * producer thread pushes tokens and calls token_queue_yield after each, as
 * the LM thread does. Checked, without any timing: the producer parks
 * exactly when the consumer computes and the chunk's tokens exist (so it
 * stops at hold_at tokens); it goes on when the consumer ends its compute,
 * when it waits for tokens again, and when the queue is closed (the call is
 * cancelled); it never parks with yielding off, below hold_at, after close
 * or after finishing; every time token_queue_yield returns, the condition
 * it parks on no longer holds. The main thread waits for the producer to be
 * parked by watching the queue's park counter (sched_yield between looks:
 * a test helper, not the product's way). A broken release hangs the test,
 * which ctest's timeout turns into a failure. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/blocks/token_queue.h"

#define N_TOKENS 10

typedef struct producer {
    token_queue *q;
    pthread_t th;
    int pushed;     /* tokens pushed so far (under q->mu) */
    int violations; /* yield returned while its park condition still held */
    bool finish;    /* token_queue_finish at the end */
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    for (int i = 0; i < N_TOKENS; i++) {
        if (!token_queue_push(p->q, 100 + i)) break; /* join's count check fails */
        pthread_mutex_lock(&p->q->mu);
        p->pushed++;
        pthread_mutex_unlock(&p->q->mu);
        token_queue_yield(p->q);
        pthread_mutex_lock(&p->q->mu);
        const token_queue *q = p->q;
        if (q->yield && q->computing && q->n >= q->hold_at && !q->closed && !q->done)
            p->violations++;
        pthread_mutex_unlock(&p->q->mu);
    }
    if (p->finish) token_queue_finish(p->q, cv_ok());
    return NULL;
}

static void start(producer *p, token_queue *q)
{
    *p = (producer){.q = q, .finish = true};
    assert_int_equal(pthread_create(&p->th, NULL, produce, p), 0);
}

static void join(producer *p)
{
    pthread_join(p->th, NULL);
    assert_int_equal(p->violations, 0);
    assert_int_equal(p->pushed, N_TOKENS);
}

static int parks(token_queue *q)
{
    pthread_mutex_lock(&q->mu);
    int k = q->parks;
    pthread_mutex_unlock(&q->mu);
    return k;
}

static void wait_parks(token_queue *q, int k)
{
    while (parks(q) < k) sched_yield();
}

static int count(token_queue *q)
{
    pthread_mutex_lock(&q->mu);
    int n = q->n;
    pthread_mutex_unlock(&q->mu);
    return n;
}

static void setup(token_queue *q, bool yield)
{
    cv_status st = token_queue_init(q);
    assert_true(cv_is_ok(&st));
    token_queue_set_yield(q, yield);
}

/* Consumer busy on a chunk of 3 tokens: the producer stops at 3, then goes
 * on to the end once the consumer's compute is over. */
static void test_parks_while_computing_released_by_compute_end(void **state)
{
    (void)state;
    token_queue q;
    setup(&q, true);
    token_queue_compute_begin(&q, 3);
    producer p;
    start(&p, &q);
    wait_parks(&q, 1);
    assert_int_equal(count(&q), 3);
    token_queue_compute_end(&q);
    join(&p);
    assert_int_equal(count(&q), N_TOKENS);
    assert_int_equal(parks(&q), 1);
    token_queue_destroy(&q);
}

/* The consumer going back to waiting for tokens releases the producer; the
 * tokens it waits for arrive. */
static void test_released_when_consumer_waits(void **state)
{
    (void)state;
    token_queue q;
    setup(&q, true);
    token_queue_compute_begin(&q, 4);
    producer p;
    start(&p, &q);
    wait_parks(&q, 1);
    assert_int_equal(count(&q), 4);
    bool done = false;
    int n = token_queue_wait(&q, 8, &done); /* not computing any more */
    assert_true(n >= 8);
    join(&p);
    assert_int_equal(parks(&q), 1);
    assert_int_equal(token_queue_wait(&q, 1000, &done), N_TOKENS);
    assert_true(done);
    token_queue_destroy(&q);
}

/* Closing (the call ends or is cancelled) releases a parked producer even
 * though the consumer still counts as computing, and for good. */
static void test_released_on_close(void **state)
{
    (void)state;
    token_queue q;
    setup(&q, true);
    token_queue_compute_begin(&q, 2);
    producer p;
    start(&p, &q);
    wait_parks(&q, 1);
    assert_int_equal(count(&q), 2);
    token_queue_close(&q);
    join(&p); /* all tokens pushed with the consumer still "computing" */
    assert_int_equal(parks(&q), 1);
    token_queue_destroy(&q);
}

/* Two chunks: the producer parks once per chunk, each time at the chunk's
 * token count, and no further. */
static void test_parks_once_per_chunk(void **state)
{
    (void)state;
    token_queue q;
    setup(&q, true);
    token_queue_compute_begin(&q, 2);
    producer p;
    start(&p, &q);
    wait_parks(&q, 1);
    assert_int_equal(count(&q), 2);
    bool done;
    assert_true(token_queue_wait(&q, 6, &done) >= 6);
    token_queue_compute_begin(&q, 6);
    /* the producer may be past 6 by now (it ran meanwhile): then it does
     * not park again before the end; else it parks at the next push */
    token_queue_compute_end(&q);
    join(&p);
    assert_true(parks(&q) >= 1 && parks(&q) <= 2);
    token_queue_destroy(&q);
}

/* Single-threaded: every case where the producer must not park (a wrong
 * park would hang here). */
static void test_no_park_cases(void **state)
{
    (void)state;
    token_queue q;
    /* yielding off */
    setup(&q, false);
    token_queue_compute_begin(&q, 0);
    assert_true(token_queue_push(&q, 1));
    assert_false(token_queue_yield(&q));
    token_queue_destroy(&q);
    /* below hold_at */
    setup(&q, true);
    token_queue_compute_begin(&q, 3);
    for (int i = 0; i < 2; i++) {
        assert_true(token_queue_push(&q, i));
        assert_false(token_queue_yield(&q));
    }
    /* consumer not computing */
    token_queue_compute_end(&q);
    assert_true(token_queue_push(&q, 2));
    assert_false(token_queue_yield(&q));
    /* finished */
    token_queue_compute_begin(&q, 1);
    token_queue_finish(&q, cv_ok());
    assert_false(token_queue_yield(&q));
    token_queue_destroy(&q);
    /* closed */
    setup(&q, true);
    token_queue_close(&q);
    token_queue_compute_begin(&q, 0);
    assert_true(token_queue_push(&q, 1));
    assert_false(token_queue_yield(&q));
    assert_int_equal(parks(&q), 0);
    token_queue_destroy(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parks_while_computing_released_by_compute_end),
        cmocka_unit_test(test_released_when_consumer_waits),
        cmocka_unit_test(test_released_on_close),
        cmocka_unit_test(test_parks_once_per_chunk),
        cmocka_unit_test(test_no_park_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
