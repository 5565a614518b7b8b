/* Conditional flow matching sampler of the CosyVoice flow (ConditionalCFM):
 * Euler integration of the estimator's vector field from noise to mel over
 * a cosine time schedule, with classifier-free guidance. The conditional
 * and unconditional evaluations run as one batch of two. */
#ifndef CV_MODEL_FLOW_CFM_H
#define CV_MODEL_FLOW_CFM_H

#include "common/status.h"
#include "common/stop.h"
#include "model/blocks/flow_estimator.h"

/* Frames at the end of a chunk kept in the cache for the next chunk. */
#define FLOW_CACHE_TAIL 34

typedef struct flow_cfm_params {
    int n_timesteps;   /* 10 */
    float cfg_rate;    /* inference_cfg_rate, 0.7 */
    int cosine;        /* t_scheduler == 'cosine' */
} flow_cfm_params;

/* Applies an incoming (z, mu) cache and builds the outgoing one, as the
 * reference does before solving: the first cache_len frames of z and mu
 * ([M][T], channel-major) are replaced by the cache ([M][cache_len][2],
 * z at [..][0], mu at [..][1]); the returned cache holds the first
 * prompt_len frames and the last min(34, T) frames of both:
 * *cache_out = [M][*out_len][2], malloc'ed. */
cv_status flow_cfm_cache(float *z, float *mu, int M, int T, const float *cache_in,
                         int cache_len, int prompt_len, float **cache_out, int *out_len);

/* x: in = noise z [M][T], out = sampled mel [M][T]. mu, cond: [M][T];
 * spks: [M]; mask: [T] or NULL (all ones). stop (may be NULL) is polled
 * before every step: CV_CANCELLED when it asks to stop. */
cv_status flow_cfm_solve(flow_estimator *est, const flow_cfm_params *p, int M, int T,
                         const float *mu, const float *mask, const float *spks,
                         const float *cond, const cv_stop *stop, float *x);

#endif
