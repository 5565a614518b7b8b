/* Flow model instances for concurrent calls; see flow_pool.h. */
#include "model/v1/flow_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct flow_pool {
    const pt_dict *sd;
    flow_config cfg;
    pthread_mutex_t mu;
    flow_model **idle; /* stack of idle instances */
    int n_idle, cap, n_built;
};

cv_status flow_pool_new(const pt_dict *sd, const flow_config *cfg, flow_pool **out)
{
    *out = NULL;
    flow_pool *p = calloc(1, sizeof *p);
    if (!p) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    p->sd = sd;
    p->cfg = *cfg;
    pthread_mutex_init(&p->mu, NULL);
    cv_status st;
    flow_model *m = flow_pool_acquire(p, &st);
    if (!m) {
        flow_pool_free(p);
        return st;
    }
    flow_pool_release(p, m);
    *out = p;
    return cv_ok();
}

void flow_pool_free(flow_pool *p)
{
    if (!p) return;
    for (int i = 0; i < p->n_idle; i++) flow_model_free(p->idle[i]);
    free(p->idle);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

const flow_config *flow_pool_cfg(const flow_pool *p) { return &p->cfg; }

flow_model *flow_pool_acquire(flow_pool *p, cv_status *st)
{
    pthread_mutex_lock(&p->mu);
    if (p->n_idle > 0) {
        flow_model *m = p->idle[--p->n_idle];
        pthread_mutex_unlock(&p->mu);
        *st = cv_ok();
        return m;
    }
    /* Reserve the idle slot now so release never needs to allocate. */
    if (p->n_built + 1 > p->cap) {
        int cap = p->cap ? 2 * p->cap : 4;
        flow_model **v = realloc(p->idle, (size_t)cap * sizeof *v);
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
    flow_model *m = NULL;
    *st = flow_model_load(p->sd, &p->cfg, &m);
    if (!m) {
        pthread_mutex_lock(&p->mu);
        p->n_built--;
        pthread_mutex_unlock(&p->mu);
    }
    return m;
}

void flow_pool_release(flow_pool *p, flow_model *m)
{
    if (!m) return;
    pthread_mutex_lock(&p->mu);
    p->idle[p->n_idle++] = m;
    pthread_mutex_unlock(&p->mu);
}

int flow_pool_size(flow_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->n_built;
    pthread_mutex_unlock(&p->mu);
    return n;
}
