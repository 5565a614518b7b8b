/* Instances for concurrent calls; see instance_pool.h. */
#include "model/blocks/instance_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct instance_pool {
    cv_status (*make)(void *ctx, void **out);
    void (*destroy)(void *inst);
    void *ctx;
    pthread_mutex_t mu;
    void **idle; /* stack of idle instances */
    int n_idle, cap, n_built;
};

cv_status instance_pool_new(cv_status (*make)(void *ctx, void **out),
                            void (*destroy)(void *inst), void *ctx, instance_pool **out)
{
    *out = NULL;
    instance_pool *p = calloc(1, sizeof *p);
    if (!p) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    p->make = make;
    p->destroy = destroy;
    p->ctx = ctx;
    pthread_mutex_init(&p->mu, NULL);
    cv_status st;
    void *inst = instance_pool_acquire(p, &st);
    if (!inst) {
        instance_pool_free(p, NULL);
        return st;
    }
    instance_pool_release(p, inst);
    *out = p;
    return cv_ok();
}

void instance_pool_free(instance_pool *p, void (*free_ctx)(void *ctx))
{
    if (!p) return;
    for (int i = 0; i < p->n_idle; i++) p->destroy(p->idle[i]);
    free(p->idle);
    pthread_mutex_destroy(&p->mu);
    if (free_ctx) free_ctx(p->ctx);
    free(p);
}

void *instance_pool_ctx(const instance_pool *p) { return p->ctx; }

void *instance_pool_acquire(instance_pool *p, cv_status *st)
{
    pthread_mutex_lock(&p->mu);
    if (p->n_idle > 0) {
        void *inst = p->idle[--p->n_idle];
        pthread_mutex_unlock(&p->mu);
        *st = cv_ok();
        return inst;
    }
    /* Reserve the idle slot now so release never needs to allocate. */
    if (p->n_built + 1 > p->cap) {
        int cap = p->cap ? 2 * p->cap : 4;
        void **v = realloc(p->idle, (size_t)cap * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&p->mu);
            *st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
            return NULL;
        }
        p->idle = v;
        p->cap = cap;
    }
    p->n_built++;
    pthread_mutex_unlock(&p->mu);
    void *inst = NULL;
    *st = p->make(p->ctx, &inst);
    if (!inst) {
        pthread_mutex_lock(&p->mu);
        p->n_built--;
        pthread_mutex_unlock(&p->mu);
    }
    return inst;
}

void instance_pool_release(instance_pool *p, void *inst)
{
    if (!inst) return;
    pthread_mutex_lock(&p->mu);
    p->idle[p->n_idle++] = inst;
    pthread_mutex_unlock(&p->mu);
}

int instance_pool_size(instance_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->n_built;
    pthread_mutex_unlock(&p->mu);
    return n;
}
