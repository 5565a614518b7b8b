/* Conditional flow matching sampler of the CosyVoice flows (ConditionalCFM,
 * CausalConditionalCFM): Euler integration of a vector field (flow_field.h:
 * the U-Net estimator or the DiT) from noise to mel over a cosine time
 * schedule, with classifier-free guidance. The conditional and
 * unconditional evaluations run as one batch of two.
 *
 * Noise: v1 draws z afresh per call and carries a (z, mu) cache between
 * chunks (flow_cfm_cache); CosyVoice2/3 draw one buffer of z once per model
 * and every call takes its first T columns (flow_noise_buffer), so a frame
 * gets the same noise in every chunk. */
#ifndef CV_MODEL_FLOW_CFM_H
#define CV_MODEL_FLOW_CFM_H

#include "common/status.h"
#include "common/stop.h"
#include "model/blocks/flow_estimator.h"
#include "model/blocks/flow_field.h"
#include "nn/noise.h"

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
 * spks: [M]; mask: [T] or NULL (all ones); streaming is passed on to the
 * vector field (its chunk mask). stop (may be NULL) is polled before every
 * step: CV_CANCELLED when it asks to stop. */
cv_status flow_cfm_solve(const flow_vector_field *vf, const flow_cfm_params *p, int M, int T,
                         const float *mu, const float *mask, const float *spks,
                         const float *cond, bool streaming, const cv_stop *stop, float *x);

/* CausalConditionalCFM's fixed noise: z [M][frames] drawn once (the
 * reference: torch.randn([1, 80, 50 * 300]) under seed 0), of which a call
 * of T frames uses the first T columns: z[c][t] is element c * frames + t.
 * Read-only once made, so one buffer serves concurrent calls. */
#define FLOW_NOISE_FRAMES 15000

typedef struct flow_noise_buffer {
    float *z; /* [M][frames] */
    int M, frames;
} flow_noise_buffer;

/* Fills the buffer from noise's fixed normal draws (salt NN_NOISE_SALT_FLOW):
 * det_noise([1, M, frames], 1.25) in tests, a seed-independent counter-based
 * Gaussian in production. */
cv_status flow_noise_buffer_init(flow_noise_buffer *b, const nn_noise *noise, int M, int frames);
void flow_noise_buffer_free(flow_noise_buffer *b);
/* z[M][T] = the first T columns; INVALID_ARGUMENT beyond `frames` (the
 * reference cannot make more than 300 s of mel either). */
cv_status flow_noise_buffer_take(const flow_noise_buffer *b, int T, float *z);

#endif
