/* A set of flow model instances over one read-only flow.pt state dict, so
 * that concurrent calls can run the flow at the same time: a flow_model
 * keeps scratch buffers (and q/k/v weights stacked at load), so one
 * instance runs one inference at a time. Instances are made on demand the
 * first time every existing one is busy and kept for reuse; their number
 * is therefore the peak number of flow inferences running at once, which
 * is bounded by the server's concurrent calls. */
#ifndef CV_MODEL_FLOW_POOL_H
#define CV_MODEL_FLOW_POOL_H

#include "common/status.h"
#include "model/v1/flow.h"

typedef struct flow_pool flow_pool;

/* `sd` and `cfg` are borrowed and must outlive the pool. One instance is
 * built now (so configuration errors surface at load time). */
cv_status flow_pool_new(const pt_dict *sd, const flow_config *cfg, flow_pool **out);
void flow_pool_free(flow_pool *p);
const flow_config *flow_pool_cfg(const flow_pool *p);

/* An idle instance (built if none is idle); NULL on error (*st says why).
 * Give it back with flow_pool_release. */
flow_model *flow_pool_acquire(flow_pool *p, cv_status *st);
void flow_pool_release(flow_pool *p, flow_model *m);
/* Instances built so far. */
int flow_pool_size(flow_pool *p);

#endif
