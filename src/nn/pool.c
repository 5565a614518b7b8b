#include "nn/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* Spins before an idle worker sleeps: enough to bridge the short gaps
 * between the products of one decoding step, short enough not to take a
 * core from other work for long. */
#define SPIN_BEFORE_SLEEP 4000
/* Spins of the caller waiting for chunks in progress before yielding. */
#define SPIN_BEFORE_YIELD 1000

struct nn_pool {
    int n_threads;
    pthread_t *threads;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int sleepers;
    atomic_bool quit;
    /* the current job: generation in the high 32 bits, next chunk below */
    _Atomic uint64_t ticket;
    atomic_int done; /* chunks finished in the current job */
    uint32_t gen;    /* caller's side */
    /* job description, written before the ticket is published */
    void (*fn)(void *, int, int);
    void *arg;
    int n, grain;
    /* read by late workers before they know whether the job is theirs */
    atomic_int n_chunks;
};

/* Claims and runs chunks of job `gen` until none are left (or a newer job
 * has replaced it, which cannot happen while one of its chunks is held). */
static void take_chunks(nn_pool *p, uint32_t gen)
{
    uint64_t t = atomic_load_explicit(&p->ticket, memory_order_acquire);
    for (;;) {
        if ((uint32_t)(t >> 32) != gen) return;
        uint32_t idx = (uint32_t)t;
        if ((int)idx >= atomic_load_explicit(&p->n_chunks, memory_order_relaxed)) return;
        if (!atomic_compare_exchange_weak_explicit(&p->ticket, &t, t + 1,
                                                   memory_order_acq_rel,
                                                   memory_order_acquire))
            continue; /* t now holds the fresh value */
        int b = (int)idx * p->grain;
        int e = b + p->grain < p->n ? b + p->grain : p->n;
        p->fn(p->arg, b, e);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
        t = atomic_load_explicit(&p->ticket, memory_order_acquire);
    }
}

static void *worker(void *v)
{
    nn_pool *p = v;
    uint32_t seen = 0;
    for (;;) {
        int spins = 0;
        uint64_t t;
        while ((uint32_t)((t = atomic_load(&p->ticket)) >> 32) == seen) {
            if (++spins < SPIN_BEFORE_SLEEP) {
                CPU_RELAX();
                continue;
            }
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1);
            /* re-checked after announcing ourselves: either the caller sees
             * the sleeper and signals, or we see its new ticket */
            while ((uint32_t)(atomic_load(&p->ticket) >> 32) == seen && !atomic_load(&p->quit))
                pthread_cond_wait(&p->cv, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
            spins = 0;
        }
        if (atomic_load(&p->quit)) return NULL;
        seen = (uint32_t)(t >> 32);
        take_chunks(p, seen);
    }
}

static void publish(nn_pool *p)
{
    p->gen++;
    atomic_store(&p->ticket, (uint64_t)p->gen << 32);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
}

nn_pool *nn_pool_new(int n_threads)
{
    nn_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_threads = n_threads < 1 ? 1 : n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->quit, false);
    atomic_init(&p->ticket, 0);
    atomic_init(&p->done, 0);
    atomic_init(&p->n_chunks, 0);
    if (p->n_threads > 1) {
        p->threads = calloc((size_t)p->n_threads - 1, sizeof(pthread_t));
        if (!p->threads) goto fail;
        for (int i = 1; i < p->n_threads; i++) {
            if (pthread_create(&p->threads[i - 1], NULL, worker, p) != 0) goto fail;
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
    atomic_store_explicit(&p->n_chunks, 0, memory_order_relaxed);
    publish(p);
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++) pthread_join(p->threads[i], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

int nn_pool_size(const nn_pool *p) { return p ? p->n_threads : 1; }

void nn_pool_for(nn_pool *p, int n, int grain, void (*fn)(void *arg, int begin, int end),
                 void *arg)
{
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int n_chunks = (n + grain - 1) / grain;
    if (!p || p->n_threads == 1 || n_chunks == 1) {
        /* the same pieces on the caller: results never depend on the pool */
        for (int b = 0; b < n; b += grain) fn(arg, b, n - b < grain ? n : b + grain);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    p->grain = grain;
    atomic_store_explicit(&p->n_chunks, n_chunks, memory_order_relaxed);
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    publish(p);
    take_chunks(p, p->gen);
    int spins = 0;
    while (atomic_load_explicit(&p->done, memory_order_acquire) < n_chunks) {
        if (++spins < SPIN_BEFORE_YIELD) CPU_RELAX();
        else sched_yield(); /* a worker holding a chunk was descheduled */
    }
}
