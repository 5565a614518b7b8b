/* A random-weight flow state dict of any configuration (bench, tests). */
#ifndef CV_MODEL_FLOW_RANDOM_H
#define CV_MODEL_FLOW_RANDOM_H

#include "model/v1/flow.h"
#include "random/random_weights.h"

/* Appends to `d` every tensor flow_model_load(d, cfg) needs. */
cv_status random_flow_weights(pt_dict *d, const flow_config *cfg, rw_rng *rng);

#endif
