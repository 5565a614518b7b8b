/* Random-weight flow state dicts of any configuration (bench, tests). */
#ifndef CV_MODEL_FLOW_RANDOM_H
#define CV_MODEL_FLOW_RANDOM_H

#include "model/v1/flow.h"
#include "model/v2/flow.h"
#include "model/v3/flow.h"
#include "random/random_weights.h"

/* Appends to `d` every tensor flow_model_load(d, cfg) needs. */
cv_status random_flow_weights(pt_dict *d, const flow_config *cfg, rw_rng *rng);
/* The same for CosyVoice2's and CosyVoice3's flows (flow2_load, flow3_load). */
cv_status random_flow2_weights(pt_dict *d, const flow2_config *cfg, rw_rng *rng);
cv_status random_flow3_weights(pt_dict *d, const flow3_config *cfg, rw_rng *rng);
/* The U-Net estimator's tensors under "decoder.estimator.". */
cv_status random_estimator_weights(pt_dict *d, const char *prefix, const flow_est_config *c,
                                   rw_rng *rng);

#endif
