#include "nn/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "nn/pool.h"

/* One process-wide nn_pool runs one parallel region at a time. A caller
 * that finds it busy (another request's thread holds it) runs the same
 * pieces itself, one after the other: the cores are busy anyway, and since
 * the pieces are the same the numbers are too. The pool is freed at exit
 * (atexit), so tools and the server end without stray threads. */

#define MAX_THREADS 64

/* Held by the thread running a region on the shared pool, and while the
 * pool is replaced. */
static pthread_mutex_t region = PTHREAD_MUTEX_INITIALIZER;
static nn_pool *shared;       /* NULL: one thread, or after exit */
static bool exiting;          /* under region */
static atomic_int n_threads = 1;

static void free_pool_at_exit(void)
{
    pthread_mutex_lock(&region);
    nn_pool_free(shared);
    shared = NULL;
    exiting = true;
    pthread_mutex_unlock(&region);
}

void nn_parallel_set_threads(int n)
{
    if (n < 1) n = 1;
    if (n > MAX_THREADS) n = MAX_THREADS;
    static bool registered;
    pthread_mutex_lock(&region); /* waits for a region in progress */
    if (!exiting && nn_pool_size(shared) != n) {
        nn_pool_free(shared);
        shared = n > 1 ? nn_pool_new(n) : NULL;
        if (shared && !registered) {
            registered = true;
            atexit(free_pool_at_exit);
        }
    }
    atomic_store(&n_threads, nn_pool_size(shared));
    pthread_mutex_unlock(&region);
}

int nn_parallel_threads(void) { return atomic_load(&n_threads); }

void nn_parallel_pieces(int n, int grain, void (*fn)(void *ctx, int begin, int end), void *ctx)
{
    for (int b = 0; b < n; b += grain) fn(ctx, b, n - b < grain ? n : b + grain);
}

void nn_parallel_for(int n, int grain, void (*fn)(void *ctx, int begin, int end), void *ctx)
{
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (n > grain && pthread_mutex_trylock(&region) == 0) {
        nn_pool_for(shared, n, grain, fn, ctx); /* NULL pool: pieces inline */
        pthread_mutex_unlock(&region);
        return;
    }
    nn_parallel_pieces(n, grain, fn, ctx);
}

int nn_parallel_grain(int n, int min_grain, int max_pieces)
{
    if (min_grain < 1) min_grain = 1;
    if (max_pieces < 1) max_pieces = 1;
    int g = (n + max_pieces - 1) / max_pieces;
    return g < min_grain ? min_grain : g;
}
