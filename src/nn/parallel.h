/* Parallel loops for the ops, on a persistent pool of nn_set_threads()
 * threads (the caller counts as one). nn does its own splitting, GEMMs
 * included, and keeps OpenBLAS single-threaded: many medium-sized products
 * in a row would otherwise spend their time in OpenBLAS's thread hand-offs,
 * and badly so on a busy machine. */
#ifndef CV_NN_PARALLEL_H
#define CV_NN_PARALLEL_H

/* Pool size (nn_set_threads calls it); workers sleep when idle. */
void nn_parallel_set_threads(int n);
int nn_parallel_threads(void);

/* Calls fn(ctx, begin, end) on contiguous ranges covering [0, n), one per
 * thread, and returns when all are done. Ranges smaller than min_chunk
 * items are not split further; with one thread, or while another thread
 * runs a parallel region, fn(ctx, 0, n) runs inline. fn must not call
 * nn_parallel_for itself (it would run inline). */
void nn_parallel_for(int n, int min_chunk, void (*fn)(void *ctx, int begin, int end),
                     void *ctx);

#endif
