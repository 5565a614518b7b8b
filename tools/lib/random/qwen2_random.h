/* A Qwen2 speech LM state dict (CosyVoice2's Qwen2LM or CosyVoice3's
 * CosyVoice3LM, by the layout) with random weights (see random_weights.h),
 * for tests and the benchmark. */
#ifndef CV_MODEL_QWEN2_RANDOM_H
#define CV_MODEL_QWEN2_RANDOM_H

#include "model/blocks/qwen2_lm.h"
#include "random/random_weights.h"

/* Appends every tensor qwen2_lm_load(d, cfg) needs. */
cv_status qwen2_lm_random_weights(pt_dict *d, const qwen2_lm_config *cfg, rw_rng *rng);

/* The official sizes: Qwen2 of CosyVoice2-0.5B / Fun-CosyVoice3-0.5B (24
 * layers, hidden 896, 14 heads of 64 over 2 key/value heads, MLP 4864,
 * vocabulary 151936, rope_theta 1e6, RMSNorm eps 1e-6) with 6561 speech
 * tokens, in CosyVoice2's (version 2) or CosyVoice3's (3) layout. */
qwen2_lm_config qwen2_lm_config_official(int version);

#endif
