/* CosyVoice2's flow (CausalMaskedDiffWithXvec): the shared causal flow
 * (blocks/causal_flow.h) with the UpsampleConformerEncoder + encoder_proj
 * as its encoder (v2/upsample_encoder.h) and the U-Net estimator in its
 * causal configuration (CausalConditionalDecoder, blocks/flow_estimator.h)
 * as its vector field. */
#ifndef CV_MODEL_V2_FLOW_H
#define CV_MODEL_V2_FLOW_H

#include "common/status.h"
#include "model/blocks/causal_flow.h"
#include "model/blocks/flow_estimator.h"
#include "model/blocks/instance_pool.h"
#include "model/io/yaml_config.h"
#include "model/v2/upsample_encoder.h"

typedef struct flow2_config {
    causal_flow_config flow;
    upsample_encoder_config encoder;
    flow_est_config est;
} flow2_config;

/* Reads the `flow:` section of a cosyvoice2.yaml; variants this engine
 * does not have are refused with a message naming the key. */
cv_status flow2_config_from_yaml(const yaml_config *y, flow2_config *cfg);

/* Binds flow.pt's weights (borrowed: sd must outlive the flow); the noise
 * buffer comes from `noise`'s fixed draws. */
cv_status flow2_load(const pt_dict *sd, const flow2_config *cfg, const nn_noise *noise,
                     causal_flow **out);

/* A pool of such flows (instance_pool.h) for concurrent calls; sd, cfg
 * and noise are borrowed for the pool's life. Free it with
 * instance_pool_free(pool, free). */
cv_status flow2_pool_new(const pt_dict *sd, const flow2_config *cfg, const nn_noise *noise,
                         instance_pool **out);

#endif
