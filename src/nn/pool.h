/* A small fixed team of worker threads for splitting one operation (a
 * matrix-vector product, say) into pieces. Made for many short jobs in a
 * row, as in token-by-token decoding where a BLAS's per-call threading
 * costs more than the work.
 *
 * Work is handed out dynamically in chunks: the calling thread takes
 * chunks too and only ever waits for chunks another thread is already
 * working on. So a worker that the OS has not scheduled (a busy machine)
 * delays nothing: the caller simply does the work itself. Idle workers
 * spin briefly for the next job, then sleep.
 *
 * A pool is owned by one caller at a time (e.g. one decoding); it is not a
 * shared process-wide resource, so concurrent decodings do not contend on
 * it. */
#ifndef CV_NN_POOL_H
#define CV_NN_POOL_H

typedef struct nn_pool nn_pool;

/* A pool of n_threads in all (the caller counts as one: n_threads - 1
 * workers are started). NULL on failure; n_threads <= 1 gives a pool that
 * runs everything on the caller. */
nn_pool *nn_pool_new(int n_threads);
void nn_pool_free(nn_pool *p);
/* Threads taking part (1 for a NULL pool). */
int nn_pool_size(const nn_pool *p);

/* Calls fn(arg, begin, end) on consecutive ranges that together cover
 * [0, n) exactly once, each `grain` long (the last may be shorter), on
 * whichever threads of the pool get to them first; returns when all are
 * done. p may be NULL (then the same ranges run one after the other on the
 * caller): the ranges depend only on n and grain, so a result computed
 * range by range is the same whatever the pool. */
void nn_pool_for(nn_pool *p, int n, int grain, void (*fn)(void *arg, int begin, int end),
                 void *arg);

#endif
