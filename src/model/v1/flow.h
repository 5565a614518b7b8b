/* CosyVoice-300M's flow model (MaskedDiffWithXvec), inference only:
 * speech tokens + speaker x-vector (+ optional prompt tokens/mel) -> mel.
 *
 *   spks  = Linear(normalize(x-vector))
 *   h     = Linear(ConformerEncoder(Embedding(prompt ++ tokens)))
 *   mu    = InterpolateRegulator(h) at mel frame rate (prompt frames, then
 *           int(n_tokens / input_frame_rate * 22050 / 256) new frames)
 *   cond  = prompt mel for the prompt frames, zeros after
 *   mel   = ConditionalCFM(mu, spks, cond, noise) with the (z, mu) cache of
 *           the streaming scheme, keeping only the new frames. */
#ifndef CV_MODEL_FLOW_H
#define CV_MODEL_FLOW_H

#include <stdint.h>

#include "common/status.h"
#include "model/blocks/flow_cfm.h"
#include "model/blocks/flow_estimator.h"
#include "model/io/pt_load.h"
#include "model/blocks/rel_encoder.h"
#include "model/io/yaml_config.h"
#include "nn/noise.h"

typedef struct flow_config {
    int input_size;       /* token embedding width */
    int output_size;      /* mel bins (80) */
    int spk_embed_dim;    /* x-vector width (192) */
    int vocab_size;       /* speech tokens (4096) */
    int input_frame_rate; /* tokens per second (50) */
    rel_encoder_config encoder;
    int lr_n_convs;       /* len(length_regulator.sampling_ratios) */
    int lr_groups;        /* length regulator GroupNorm groups (1) */
    flow_cfm_params cfm;
    flow_est_config est;
} flow_config;

/* Reads the `flow:` section of a CosyVoice(-300M) cosyvoice.yaml
 * (MaskedDiffWithXvec with a ConformerEncoder, InterpolateRegulator and
 * ConditionalCFM/ConditionalDecoder). Variants this implementation does not
 * have are refused with a message naming the key. */
cv_status flow_config_from_yaml(const yaml_config *y, flow_config *cfg);

typedef struct flow_model flow_model;

/* Binds the weights of flow.pt (borrowed: `sd` must outlive the model).
 * The model's worker threads (attention pieces, activations) number
 * nn_get_threads() at this point; matrix products use nn's shared pool. */
cv_status flow_model_load(const pt_dict *sd, const flow_config *cfg, flow_model **out);
void flow_model_free(flow_model *m);
const flow_config *flow_model_cfg(const flow_model *m);

typedef struct flow_input {
    const int32_t *tokens;        /* new speech tokens */
    int n_tokens;
    const int32_t *prompt_tokens; /* may be NULL when n_prompt_tokens == 0 */
    int n_prompt_tokens;
    const float *prompt_feat;     /* [n_prompt_frames][output_size] */
    int n_prompt_frames;
    const float *embedding;       /* [spk_embed_dim] */
    const float *cache;           /* [output_size][cache_frames][2] (z, mu), or NULL */
    int cache_frames;
    const cv_stop *stop;          /* polled between ODE steps; may be NULL */
} flow_input;

typedef struct flow_output {
    float *mel;        /* [output_size][mel_frames], new tokens only */
    int mel_frames;
    float *cache;      /* [output_size][cache_frames][2]: prompt + last 34 frames */
    int cache_frames;
} flow_output;

/* Runs the flow. `noise` draws the initial z ([1, output_size, T], C order,
 * salt NN_NOISE_SALT_FLOW). A model runs one inference at a time (it keeps
 * scratch buffers). On success the caller frees `out` with flow_output_free. */
cv_status flow_inference(flow_model *m, const flow_input *in, nn_noise *noise,
                         flow_output *out);
void flow_output_free(flow_output *out);

/* Mel frames the flow makes for n new tokens. */
int flow_mel_frames(const flow_config *cfg, int n_tokens);

/* The estimator of a loaded model (parity checks, bench). */
flow_estimator *flow_model_estimator(flow_model *m);

#endif
