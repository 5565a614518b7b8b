/* A random-weight flow state dict of any configuration (for the bench). */
#ifndef CV_BENCH_RANDOM_FLOW_H
#define CV_BENCH_RANDOM_FLOW_H

#include "model/flow.h"
#include "model/random_weights.h"

/* Appends to `d` every tensor flow_model_load(d, cfg) needs. */
cv_status random_flow_weights(pt_dict *d, const flow_config *cfg, rw_rng *rng);

#endif
