/* v1 flow instances for concurrent calls, on the shared instance pool; see
 * flow_pool.h. */
#include "model/v1/flow_pool.h"

#include <stdlib.h>

#include "model/blocks/instance_pool.h"

struct flow_pool {
    instance_pool *pool;
    const pt_dict *sd;
    flow_config cfg;
};

static cv_status make(void *ctx, void **out)
{
    const flow_pool *p = ctx;
    flow_model *m = NULL;
    cv_status st = flow_model_load(p->sd, &p->cfg, &m);
    *out = m;
    return st;
}

static void destroy(void *inst) { flow_model_free(inst); }

cv_status flow_pool_new(const pt_dict *sd, const flow_config *cfg, flow_pool **out)
{
    *out = NULL;
    flow_pool *p = calloc(1, sizeof *p);
    if (!p) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    p->sd = sd;
    p->cfg = *cfg;
    cv_status st = instance_pool_new(make, destroy, p, &p->pool);
    if (!cv_is_ok(&st)) {
        free(p);
        return st;
    }
    *out = p;
    return cv_ok();
}

void flow_pool_free(flow_pool *p)
{
    if (!p) return;
    instance_pool_free(p->pool, NULL);
    free(p);
}

const flow_config *flow_pool_cfg(const flow_pool *p) { return &p->cfg; }

flow_model *flow_pool_acquire(flow_pool *p, cv_status *st)
{
    return instance_pool_acquire(p->pool, st);
}

void flow_pool_release(flow_pool *p, flow_model *m) { instance_pool_release(p->pool, m); }

int flow_pool_size(flow_pool *p) { return instance_pool_size(p->pool); }
