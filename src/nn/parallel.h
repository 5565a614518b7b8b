/* Parallel loops for the ops, on a persistent pool of nn_set_threads()
 * threads (the caller counts as one). nn does its own splitting, GEMMs
 * included, and keeps the BLAS single-threaded: many medium-sized products
 * in a row would otherwise spend their time in the library's thread
 * hand-offs, and badly so on a busy machine.
 *
 * Results never depend on the thread count or the load: a loop is cut into
 * pieces whose bounds depend only on n and grain, and the same pieces run
 * whether they are spread over the pool, run by a caller that found the pool
 * busy, or run with one thread. A piece is computed the same way wherever it
 * runs, so as long as fn's result for an index depends only on the piece
 * holding it (a GEMM on a block of rows, say), the output is bit-identical. */
#ifndef CV_NN_PARALLEL_H
#define CV_NN_PARALLEL_H

/* Pool size (nn_set_threads calls it); workers sleep when idle. */
void nn_parallel_set_threads(int n);
int nn_parallel_threads(void);

/* Calls fn(ctx, begin, end) on the pieces [0, grain), [grain, 2 grain), ...
 * covering [0, n) (the last may be shorter), spread over the pool's threads
 * when it is free, all on the caller otherwise; returns when all are done.
 * fn may call nn_parallel_for itself (the inner loop then runs its pieces
 * on the calling thread). */
void nn_parallel_for(int n, int grain, void (*fn)(void *ctx, int begin, int end),
                     void *ctx);

/* The same pieces, one after the other on the calling thread. */
void nn_parallel_pieces(int n, int grain, void (*fn)(void *ctx, int begin, int end),
                        void *ctx);

/* A grain for n items giving at most max_pieces pieces of at least
 * min_grain items: depends only on its arguments, never on the threads. */
int nn_parallel_grain(int n, int min_grain, int max_pieces);

#endif
