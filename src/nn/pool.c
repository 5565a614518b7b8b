#include "nn/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* Spins before a worker goes to sleep: long enough to bridge the gaps
 * between the products of one decoding step, short enough not to burn a
 * core for long once decoding stops. */
#define SPIN_BEFORE_SLEEP 20000
#define SPIN_BEFORE_YIELD 2000

struct nn_pool {
    int n;
    pthread_t *threads;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sleepers; /* under mu */
    atomic_uint gen;
    atomic_int pending;
    atomic_bool quit;
    void (*fn)(void *, int, int);
    void *arg;
};

typedef struct worker_arg {
    nn_pool *p;
    int id;
} worker_arg;

static void *worker(void *v)
{
    worker_arg *wa = v;
    nn_pool *p = wa->p;
    int id = wa->id;
    free(wa);
    unsigned seen = 0;
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&p->gen, memory_order_acquire) == seen) {
            if (++spins < SPIN_BEFORE_SLEEP) {
                CPU_RELAX();
                continue;
            }
            pthread_mutex_lock(&p->mu);
            p->sleepers++;
            while (atomic_load(&p->gen) == seen) pthread_cond_wait(&p->cv, &p->mu);
            p->sleepers--;
            pthread_mutex_unlock(&p->mu);
        }
        seen = atomic_load_explicit(&p->gen, memory_order_acquire);
        if (atomic_load(&p->quit)) return NULL;
        p->fn(p->arg, id, p->n);
        atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
    }
}

static void wake_all(nn_pool *p)
{
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_mutex_lock(&p->mu);
    if (p->sleepers > 0) pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

nn_pool *nn_pool_new(int n_threads)
{
    nn_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = n_threads < 1 ? 1 : n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    atomic_init(&p->gen, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->quit, false);
    if (p->n > 1) {
        p->threads = calloc((size_t)p->n - 1, sizeof(pthread_t));
        if (!p->threads) goto fail;
        for (int i = 1; i < p->n; i++) {
            worker_arg *wa = malloc(sizeof *wa);
            if (!wa) goto fail;
            wa->p = p;
            wa->id = i;
            if (pthread_create(&p->threads[i - 1], NULL, worker, wa) != 0) {
                free(wa);
                goto fail;
            }
            p->started++;
        }
    }
    return p;
fail:
    nn_pool_free(p);
    return NULL;
}

void nn_pool_free(nn_pool *p)
{
    if (!p) return;
    atomic_store(&p->quit, true);
    wake_all(p);
    for (int i = 0; i < p->started; i++) pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

int nn_pool_size(const nn_pool *p) { return p ? p->n : 1; }

void nn_pool_run(nn_pool *p, void (*fn)(void *arg, int part, int n_parts), void *arg)
{
    if (!p || p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    atomic_store_explicit(&p->pending, p->n - 1, memory_order_relaxed);
    wake_all(p);
    fn(arg, 0, p->n);
    int spins = 0;
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0) {
        if (++spins < SPIN_BEFORE_YIELD) CPU_RELAX();
        else sched_yield(); /* a worker was descheduled: let it run */
    }
}

void nn_pool_range(int n, int part, int n_parts, int align, int *begin, int *end)
{
    if (align < 1) align = 1;
    int blocks = (n + align - 1) / align;
    int b0 = (int)((long)blocks * part / n_parts), b1 = (int)((long)blocks * (part + 1) / n_parts);
    *begin = b0 * align < n ? b0 * align : n;
    *end = b1 * align < n ? b1 * align : n;
}
