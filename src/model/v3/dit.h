/* CosyVoice3's flow-matching vector field: a DiT (diffusion transformer,
 * cosyvoice/flow/DiT) on the frame rows [T][dim]:
 *
 *   t    = MLP(sinusoid(1000 t))                               time embedding
 *   x    = InputEmbedding: Linear([x, cond, mu, spks]) + CausalConvPositionEmbedding
 *   x    = depth x DiTBlock(x, t)                               AdaLN-Zero blocks
 *   out  = Linear(AdaLayerNormZero_Final(x, t))
 *
 * DiTBlock: LayerNorm (no affine, eps 1e-6) modulated by shift/scale from
 * SiLU(t), self-attention with rotary embedding, a gated residual, then the
 * same around a tanh-GELU feed-forward. Two of the reference's details are
 * kept on purpose:
 *  - RoPE is applied to the full-width q and k ([T][heads * dim_head])
 *    before the split into heads, with a table of dim_head frequencies, so
 *    it rotates only the first dim_head channels: head 0 gets positions,
 *    the other heads none;
 *  - the convolutional position embedding is causal (left padding of
 *    kernel - 1 on both grouped convolutions).
 * Streaming restricts attention to chunks of static_chunk_size frames
 * (every left chunk visible; the reference ignores
 * num_decoding_left_chunks).
 *
 * Weights are borrowed from the state dict and read-only: one dit serves
 * concurrent calls (activations are allocated per call). */
#ifndef CV_MODEL_V3_DIT_H
#define CV_MODEL_V3_DIT_H

#include <stdbool.h>

#include "common/status.h"
#include "model/blocks/flow_field.h"
#include "model/io/pt_load.h"
#include "model/io/yaml_config.h"

typedef struct dit_config {
    int dim, depth, heads, dim_head, ff_mult;
    int mel_dim, mu_dim, spk_dim, out_channels;
    int static_chunk_size; /* frames */
    bool long_skip;        /* long_skip_connection (not in Fun-CosyVoice3-0.5B) */
} dit_config;

/* flow.decoder.estimator of a cosyvoice3.yaml (a DiT). */
cv_status dit_config_from_yaml(const yaml_config *y, dit_config *cfg);

typedef struct dit dit;

/* Binds "<prefix>time_embed..." etc. of sd (borrowed). */
cv_status dit_load(const pt_dict *sd, const char *prefix, const dit_config *cfg, dit **out);
void dit_free(dit *d);

/* The flow_field.h contract (batched channel-major in and out). */
cv_status dit_forward(const dit *d, int B, int T, const float *x, const float *mu,
                      const float *t, const float *spks, const float *cond, const float *mask,
                      bool streaming, float *out);
flow_vector_field dit_field(dit *d);

/* Multiply-adds x 2 of one forward for B items of T frames, for benches. */
double dit_flops(const dit_config *cfg, int B, int T);

#endif
