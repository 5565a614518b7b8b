/* The flow of CosyVoice2 and CosyVoice3 (CausalMaskedDiffWithXvec,
 * CausalMaskedDiffWithDiT), inference only: speech tokens + speaker
 * x-vector + prompt tokens and mel -> mel, 2 frames per token.
 *
 *   spks = Linear(normalize(x-vector))
 *   e    = Embedding(prompt ++ tokens)
 *   mu   = encoder(e)          v2: UpsampleConformerEncoder + Linear (v2/flow.c)
 *                              v3: pre-look-ahead layer, x2 repetition (v3/flow.c)
 *   cond = prompt mel on the prompt's frames, zeros after
 *   mel  = CausalConditionalCFM(mu, spks, cond, z), z = the first T columns
 *          of the model's fixed noise buffer; new frames only are kept.
 *
 * Both families differ only in the encoder and in the vector field (U-Net
 * or DiT), which they plug in here; the rest is this one block.
 *
 * Streaming (the reference's `streaming` and `finalize` arguments):
 *  - streaming: the encoder and the vector field attend in chunks (a frame
 *    sees its own chunk and all before it), so frames of a finished chunk
 *    come out the same when later tokens are added;
 *  - finalize = false: the last pre_lookahead_len tokens are look-ahead
 *    context only and make no frames.
 *
 * A causal_flow keeps scratch buffers (the U-Net's), so it runs one
 * inference at a time: a server keeps one per concurrent call (its weights
 * are borrowed from a state dict all instances share). */
#ifndef CV_MODEL_CAUSAL_FLOW_H
#define CV_MODEL_CAUSAL_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "common/stop.h"
#include "model/blocks/flow_cfm.h"
#include "model/blocks/flow_field.h"
#include "model/blocks/instance_pool.h"

/* The family's token encoder: embeddings e [(n + n_ctx)][input_size] (the
 * last n_ctx are look-ahead only) -> mu [frames][output_size] rows,
 * malloc'ed. */
typedef struct causal_flow_encoder {
    cv_status (*forward)(void *self, const float *e, int n, int n_ctx, bool streaming,
                         float **mu, int *frames);
    void (*destroy)(void *self);
    void *self;
} causal_flow_encoder;

typedef struct causal_flow_config {
    int input_size;        /* token embedding width */
    int output_size;       /* mel bins (80) */
    int spk_embed_dim;     /* x-vector width (192) */
    int vocab_size;        /* speech tokens (6561) */
    int token_mel_ratio;   /* mel frames per token (2) */
    int pre_lookahead_len; /* tokens of look-ahead (3) */
    flow_cfm_params cfm;
} causal_flow_config;

typedef struct causal_flow causal_flow;

/* The flow section's keys both families have (sizes, token_mel_ratio,
 * pre_lookahead_len, the CFM parameters) for the yaml's flow class `cls`
 * (refused with UNIMPLEMENTED otherwise); `yaml` names the file in
 * messages. */
typedef struct yaml_config yaml_config;
cv_status causal_flow_config_from_yaml(const yaml_config *y, const char *cls, const char *yaml,
                                       causal_flow_config *cfg);

/* Takes over enc and vf (vf.net freed by vf_destroy) and binds
 * input_embedding / spk_embed_affine_layer of `sd` (borrowed). The noise
 * buffer is filled from `noise` now (det_noise in tests). On failure the
 * parts are destroyed too. */
cv_status causal_flow_new(const causal_flow_config *cfg, const pt_dict *sd,
                          causal_flow_encoder enc, flow_vector_field vf,
                          void (*vf_destroy)(void *net), const nn_noise *noise,
                          causal_flow **out);
void causal_flow_free(causal_flow *f);
const causal_flow_config *causal_flow_cfg(const causal_flow *f);
/* The vector field (parity checks call it directly). */
flow_vector_field causal_flow_field(const causal_flow *f);

typedef struct causal_flow_input {
    const int32_t *tokens;        /* tokens so far (look-ahead included) */
    int n_tokens;
    const int32_t *prompt_tokens; /* may be NULL when n_prompt_tokens == 0 */
    int n_prompt_tokens;
    const float *prompt_feat;     /* [n_prompt_frames][output_size] */
    int n_prompt_frames;
    const float *embedding;       /* [spk_embed_dim] */
    bool streaming, finalize;
    bool want_mu;                 /* also return mu (parity checks) */
    const cv_stop *stop;          /* polled between ODE steps; may be NULL */
} causal_flow_input;

typedef struct causal_flow_output {
    float *mel;    /* [output_size][mel_frames]: the frames after the prompt's */
    int mel_frames;
    float *mu;     /* want_mu: [output_size][mu_frames], prompt frames included */
    int mu_frames;
} causal_flow_output;

cv_status causal_flow_infer(causal_flow *f, const causal_flow_input *in, causal_flow_output *out);
void causal_flow_output_free(causal_flow_output *out);

/* A pool of flows made by a family's loader (flow2_load, flow3_load) for
 * concurrent calls; sd, cfg and noise are borrowed for the pool's life.
 * Free it with instance_pool_free(pool, free). */
typedef cv_status (*causal_flow_load_fn)(const pt_dict *sd, const void *cfg,
                                         const nn_noise *noise, causal_flow **out);
cv_status causal_flow_pool_new(causal_flow_load_fn load, const pt_dict *sd, const void *cfg,
                               const nn_noise *noise, instance_pool **out);

/* Mel frames the flow makes for n new tokens (look-ahead included when not
 * finalizing, for which it makes none). */
int causal_flow_frames(const causal_flow_config *cfg, int n_tokens, bool finalize);

#endif
