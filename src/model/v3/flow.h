/* CosyVoice3's flow (CausalMaskedDiffWithDiT): the shared causal flow
 * (blocks/causal_flow.h) with the pre-look-ahead layer and a x2 repetition
 * of every token as its encoder (no conformer, no projection: the
 * embeddings are 80 wide already) and the DiT (v3/dit.h) as its vector
 * field. */
#ifndef CV_MODEL_V3_FLOW_H
#define CV_MODEL_V3_FLOW_H

#include "common/status.h"
#include "model/blocks/causal_flow.h"
#include "model/blocks/instance_pool.h"
#include "model/io/yaml_config.h"
#include "model/v3/dit.h"

typedef struct flow3_config {
    causal_flow_config flow;
    int pre_lookahead_channels; /* flow.pre_lookahead_layer.channels (1024) */
    dit_config dit;
} flow3_config;

/* Reads the `flow:` section of a cosyvoice3.yaml. */
cv_status flow3_config_from_yaml(const yaml_config *y, flow3_config *cfg);

/* Binds flow.pt's weights (borrowed: sd must outlive the flow); the noise
 * buffer comes from `noise`'s fixed draws. */
cv_status flow3_load(const pt_dict *sd, const flow3_config *cfg, const nn_noise *noise,
                     causal_flow **out);

/* A pool of such flows (instance_pool.h) for concurrent calls; sd, cfg
 * and noise are borrowed for the pool's life. Free it with
 * instance_pool_free(pool, free). (The DiT itself keeps no scratch; the
 * pool is for the shared interface and the flow's noise buffer.) */
cv_status flow3_pool_new(const pt_dict *sd, const flow3_config *cfg, const nn_noise *noise,
                         instance_pool **out);

#endif
