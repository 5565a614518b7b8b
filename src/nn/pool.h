/* A small fixed team of worker threads for splitting one operation (a
 * matrix-vector product, say) into parts. Made for many short jobs in a
 * row, as in token-by-token decoding where OpenBLAS's per-call threading
 * costs more than the work: idle workers spin briefly on the job counter
 * before sleeping on a condition variable.
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
/* Threads taking part in nn_pool_run (1 for a NULL pool). */
int nn_pool_size(const nn_pool *p);

/* Calls fn(arg, part, n_parts) for every part < n_parts = nn_pool_size(p),
 * part 0 on the calling thread, and returns when all have finished.
 * p may be NULL (then fn(arg, 0, 1)). */
void nn_pool_run(nn_pool *p, void (*fn)(void *arg, int part, int n_parts), void *arg);

/* Even split of [0, n) into n_parts ranges aligned to `align`: part's range. */
void nn_pool_range(int n, int part, int n_parts, int align, int *begin, int *end);

#endif
