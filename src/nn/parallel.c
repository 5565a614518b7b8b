#include "nn/parallel.h"

#include <pthread.h>
#include <stdbool.h>

#include "nn/matmul.h"

#define MAX_THREADS 64

typedef struct range_job {
    void (*fn)(void *ctx, int begin, int end);
    void *ctx;
    int begin, end;
} range_job;

static void *run_range(void *p)
{
    range_job *j = p;
    j->fn(j->ctx, j->begin, j->end);
    return NULL;
}

void nn_parallel_for(int n, int min_chunk, void (*fn)(void *ctx, int begin, int end),
                     void *ctx)
{
    if (n <= 0) return;
    int threads = nn_get_threads();
    if (min_chunk < 1) min_chunk = 1;
    if (threads > n / min_chunk) threads = n / min_chunk;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads <= 1) {
        fn(ctx, 0, n);
        return;
    }
    range_job jobs[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    for (int i = 0; i < threads; i++)
        jobs[i] = (range_job){fn, ctx, (int)((long)n * i / threads),
                              (int)((long)n * (i + 1) / threads)};
    for (int i = 1; i < threads; i++)
        started[i] = pthread_create(&tid[i], NULL, run_range, &jobs[i]) == 0;
    run_range(&jobs[0]);
    for (int i = 1; i < threads; i++) {
        if (started[i]) pthread_join(tid[i], NULL);
        else run_range(&jobs[i]); /* could not start a thread: do it here */
    }
}
