#include "nn/parallel.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* A small persistent pool: nn owns all parallelism (OpenBLAS runs
 * single-threaded, see nn_set_threads), so each op splits its own loops and
 * OpenBLAS never spin-waits for helper threads between the thousands of
 * medium-sized products of a vocoder call. One parallel region runs at a
 * time; a caller that finds the pool busy (another request's thread) runs
 * its loop inline, since the cores are busy anyway. The workers are joined
 * at exit (atexit), so tools and the server end without stray threads. */

#define MAX_THREADS 64

static struct {
    pthread_mutex_t lock; /* protects everything below */
    pthread_cond_t wake, done;
    pthread_mutex_t region; /* held by the thread running a parallel region */
    int started;          /* worker threads alive */
    pthread_t threads[MAX_THREADS];
    bool quit;            /* set at exit: workers leave, regions run inline */
    int wanted;           /* threads (including the caller) per region */
    unsigned generation;  /* bumped for every region */
    int pending;          /* workers still running the current region */
    void (*fn)(void *, int, int);
    void *ctx;
    int n, parts;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
          .wake = PTHREAD_COND_INITIALIZER,
          .done = PTHREAD_COND_INITIALIZER,
          .region = PTHREAD_MUTEX_INITIALIZER,
          .wanted = 1};

static void run_part(int part)
{
    int b = (int)((long)pool.n * part / pool.parts), e = (int)((long)pool.n * (part + 1) / pool.parts);
    if (e > b) pool.fn(pool.ctx, b, e);
}

static void *worker(void *arg)
{
    /* id 1 .. MAX_THREADS-1 (the caller is part 0) and the generation when
     * created: a region posted before this thread first takes the lock must
     * still count as new for it */
    const int id = (int)((uintptr_t)arg & 0xff);
    unsigned seen = (unsigned)((uintptr_t)arg >> 8);
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (pool.generation == seen && !pool.quit) pthread_cond_wait(&pool.wake, &pool.lock);
        if (pool.generation == seen) break; /* quit, and no region left for us */
        seen = pool.generation;
        if (id >= pool.parts) continue; /* not needed this time */
        pthread_mutex_unlock(&pool.lock);
        run_part(id);
        pthread_mutex_lock(&pool.lock);
        if (--pool.pending == 0) pthread_cond_signal(&pool.done);
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

static void join_workers(void)
{
    pthread_mutex_lock(&pool.lock);
    pool.quit = true;
    pthread_cond_broadcast(&pool.wake);
    int n = pool.started;
    pool.started = 0;
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < n; i++) pthread_join(pool.threads[i], NULL);
}

void nn_parallel_set_threads(int n)
{
    if (n < 1) n = 1;
    if (n > MAX_THREADS) n = MAX_THREADS;
    pthread_mutex_lock(&pool.lock);
    pool.wanted = n;
    /* workers are started lazily and kept (they sleep when idle) */
    static bool registered;
    while (!pool.quit && pool.started < n - 1) {
        uintptr_t arg = (uintptr_t)(pool.started + 1) | ((uintptr_t)pool.generation << 8);
        if (pthread_create(&pool.threads[pool.started], NULL, worker, (void *)arg) != 0) break;
        pool.started++;
    }
    bool reg = pool.started > 0 && !registered;
    registered = registered || reg;
    pthread_mutex_unlock(&pool.lock);
    if (reg) atexit(join_workers);
}

int nn_parallel_threads(void)
{
    pthread_mutex_lock(&pool.lock);
    int n = pool.wanted < pool.started + 1 ? pool.wanted : pool.started + 1;
    pthread_mutex_unlock(&pool.lock);
    return n;
}

void nn_parallel_for(int n, int min_chunk, void (*fn)(void *ctx, int begin, int end),
                     void *ctx)
{
    if (n <= 0) return;
    if (min_chunk < 1) min_chunk = 1;
    int parts = nn_parallel_threads();
    if (parts > n / min_chunk) parts = n / min_chunk;
    if (parts <= 1 || pthread_mutex_trylock(&pool.region) != 0) {
        fn(ctx, 0, n);
        return;
    }
    pthread_mutex_lock(&pool.lock);
    if (pool.quit) { /* exiting: the workers are gone */
        pthread_mutex_unlock(&pool.lock);
        pthread_mutex_unlock(&pool.region);
        fn(ctx, 0, n);
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.parts = parts;
    pool.pending = parts - 1;
    pool.generation++;
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    run_part(0);
    pthread_mutex_lock(&pool.lock);
    while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.region);
}
