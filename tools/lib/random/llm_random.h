/* A TransformerLM state dict with random weights (see random_weights.h),
 * for tests and the benchmark. */
#ifndef CV_MODEL_LLM_RANDOM_H
#define CV_MODEL_LLM_RANDOM_H

#include "model/v1/llm.h"
#include "random/random_weights.h"

/* Appends every tensor llm_load(d, cfg) needs. */
cv_status llm_random_weights(pt_dict *d, const llm_config *cfg, rw_rng *rng);

/* CosyVoice-300M's LM sizes: text encoder 6 blocks and LM 14 blocks, 1024
 * wide, 16 heads, 4096 feed-forward; 512-wide text embeddings, 51866 text
 * tokens, 4096 speech tokens, 192-dim speaker embeddings. */
llm_config llm_config_cosyvoice_300m(void);

#endif
