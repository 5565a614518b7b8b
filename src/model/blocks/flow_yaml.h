/* The yaml keys of the flow blocks every family configures the same way:
 * the CFM sampler (flow.decoder.cfm_params) and the U-Net estimator
 * (flow.decoder.estimator: ConditionalDecoder or CausalConditionalDecoder).
 * Defaults only for keys the reference constructors default. */
#ifndef CV_MODEL_FLOW_YAML_H
#define CV_MODEL_FLOW_YAML_H

#include "common/status.h"
#include "model/blocks/flow_cfm.h"
#include "model/blocks/flow_estimator.h"
#include "model/io/yaml_config.h"

/* flow.decoder.cfm_params.content, and the 10 Euler steps every family's
 * inference passes; `mel` checks flow.decoder.spk_emb_dim. */
cv_status flow_cfm_params_from_yaml(const yaml_config *y, int mel, flow_cfm_params *p);

/* flow.decoder.estimator for `mel` bins. */
cv_status flow_est_config_from_yaml(const yaml_config *y, int mel, flow_est_config *c);

#endif
