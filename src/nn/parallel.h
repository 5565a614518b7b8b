/* Splits loops of the non-BLAS work (transforms, activations) over the same
 * number of threads OpenBLAS uses (nn_set_threads), so that work scales too.
 * Threads are started per call: the loops it is used for run for
 * milliseconds, far longer than starting a thread. */
#ifndef CV_NN_PARALLEL_H
#define CV_NN_PARALLEL_H

/* Calls fn(ctx, begin, end) on contiguous ranges covering [0, n), one per
 * thread, and returns when all are done. Ranges smaller than min_chunk
 * items are not split further; with one thread fn(ctx, 0, n) runs inline. */
void nn_parallel_for(int n, int min_chunk, void (*fn)(void *ctx, int begin, int end),
                     void *ctx);

#endif
