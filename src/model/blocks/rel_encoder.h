/* The ESPnet-style relative-position Transformer/Conformer encoder that
 * CosyVoice uses in three places: the flow's ConformerEncoder, the LM's text
 * encoder (ConformerEncoder) and the LM itself (TransformerEncoder).
 *
 * Structure (inference, pre-norm):
 *   x -> Linear -> LayerNorm(1e-5) [-> ReLU for 'linear_legacy'] -> * sqrt(d)
 *     -> num_blocks x { x += MHA_relpos(LN(x)); x += FF(LN(x)) } -> LayerNorm(1e-5)
 * MHA_relpos is RelPositionMultiHeadedAttention with the 'rel_pos_espnet'
 * encoding: score(i,j) = ((q_i+u).k_j + (q_i+v).P(i-j)) / sqrt(d_k) with
 * P(r) = linear_pos(pe(r)), pe(r) the sinusoid of relative position r
 * (positive: key to the left). The ESPnet rel_shift trick of the reference
 * selects exactly P(i-j) for queries at the end of the key sequence, which
 * is the only case the reference runs, so it is computed here directly.
 *
 * Only the configurations CosyVoice uses are supported: no convolution
 * module, no macaron feed-forward (the loader refuses checkpoints that
 * have them).
 *
 * Two ways to run it:
 *  - rel_encoder_forward: a whole sequence at once (flow, text encoder),
 *    with the reference's chunk mask (static_chunk_size 0 = full attention,
 *    1 = causal, c = chunks of c).
 *  - rel_encoder_state + rel_encoder_step: incremental causal decoding with
 *    a key/value cache (the LM). Each call appends n frames that see all
 *    earlier frames and causally each other; linear_pos rows are computed
 *    once per relative distance and kept in the state, so a one-frame step
 *    costs the projections of one frame plus attention over the cache.
 *
 * A loaded rel_encoder is read-only and may be shared by threads; a state
 * belongs to one decoding at a time. */
#ifndef CV_MODEL_REL_ENCODER_H
#define CV_MODEL_REL_ENCODER_H

#include <stdbool.h>

#include "common/status.h"
#include "common/stop.h"
#include "model/io/pt_load.h"
#include "nn/pool.h"

typedef enum rel_enc_input {
    REL_ENC_INPUT_LINEAR = 0,    /* 'linear': Linear + LayerNorm */
    REL_ENC_INPUT_LINEAR_LEGACY, /* 'linear_legacy': Linear + LayerNorm + ReLU */
} rel_enc_input;

typedef enum rel_enc_activation {
    REL_ENC_ACT_RELU = 0,
    REL_ENC_ACT_SWISH, /* SiLU */
} rel_enc_activation;

typedef enum rel_enc_kind {
    /* ConformerEncoder layers: norm_mha / norm_ff; default activation swish */
    REL_ENC_CONFORMER = 0,
    /* TransformerEncoder layers: norm1 / norm2; default activation relu */
    REL_ENC_TRANSFORMER,
} rel_enc_kind;

typedef struct rel_encoder_config {
    rel_enc_kind kind;
    int input_size;
    int output_size;
    int attention_heads;
    int linear_units;
    int num_blocks;
    rel_enc_input input_layer;
    rel_enc_activation activation;
    int static_chunk_size; /* 0: full attention in rel_encoder_forward */
    /* Names inside the prefix, for a stack that is one part of a bigger
     * encoder (CosyVoice2's UpsampleConformerEncoder has "embed" +
     * "encoders" and "up_embed" + "up_encoders" + "after_norm"): NULL means
     * "embed" / "encoders"; no_final_norm for a stack without after_norm. */
    const char *embed_name, *layers_name;
    bool no_final_norm;
} rel_encoder_config;

/* Defaults of the reference classes for `kind` (activation swish for the
 * Conformer, relu for the Transformer; static_chunk_size 0). Sizes are left
 * zero for the caller to fill. */
rel_encoder_config rel_encoder_config_default(rel_enc_kind kind);

/* Parses the reference's names: "linear"/"linear_legacy", "relu"/"swish". */
bool rel_enc_input_parse(const char *s, rel_enc_input *out);
bool rel_enc_activation_parse(const char *s, rel_enc_activation *out);

typedef struct rel_encoder rel_encoder;

/* Builds an encoder whose weights are the tensors "<prefix>embed.out.0.weight",
 * "<prefix>encoders.<i>.self_attn.linear_q.weight", ... of `sd` (prefix such
 * as "text_encoder.", "llm." or "encoder."). The weights are borrowed: `sd`
 * must outlive the encoder. Every shape is checked against `cfg`. */
cv_status rel_encoder_load(const pt_dict *sd, const char *prefix,
                           const rel_encoder_config *cfg, rel_encoder **out);
void rel_encoder_free(rel_encoder *enc);
/* Adds 8-bit copies (per-row scales) of every layer's attention and
 * feed-forward weights, used from then on by one-frame steps (whole-sequence
 * runs keep float32). Not thread-safe against concurrent use of enc. */
cv_status rel_encoder_quantize(rel_encoder *enc);
const rel_encoder_config *rel_encoder_cfg(const rel_encoder *enc);

/* Whole sequence: x [T][input_size] -> y [T][output_size] (after the final
 * LayerNorm). T >= 1. */
cv_status rel_encoder_forward(const rel_encoder *enc, const float *x, int T, float *y);
/* Same with an explicit chunk size for the mask instead of the configured
 * static_chunk_size (1 = causal, 0 = full). */
cv_status rel_encoder_forward_chunked(const rel_encoder *enc, const float *x, int T, int chunk,
                                      float *y);

/* Same, polling `stop` (may be NULL) before every layer: CANCELLED once it
 * is requested. For inputs long enough for one pass to take seconds. */
cv_status rel_encoder_forward_stop(const rel_encoder *enc, const float *x, int T, int chunk,
                                   float *y, const cv_stop *stop);

/* The two halves of rel_encoder_forward_chunked, for networks that put
 * something between them (the pre-look-ahead layer of CosyVoice2's flow
 * encoder): the input embedding x [T][input_size] -> h [T][output_size]
 * (Linear, LayerNorm, * sqrt(d); frame by frame, so look-ahead frames can be
 * embedded with the rest), then the layers (and the final LayerNorm unless
 * the config has none) in place on h [T][output_size] under the chunk
 * mask (0 = full attention). */
void rel_encoder_embed(const rel_encoder *enc, const float *x, int T, float *h);
cv_status rel_encoder_layers(const rel_encoder *enc, float *h, int T, int chunk);

/* Incremental decoding state with room for max_len frames in all. One-frame
 * steps split their matrix-vector products over `pool` (borrowed, may be
 * NULL for the calling thread only). */
typedef struct rel_encoder_state rel_encoder_state;
rel_encoder_state *rel_encoder_state_new(const rel_encoder *enc, int max_len, nn_pool *pool);
void rel_encoder_state_free(rel_encoder_state *st);
/* Forgets all cached frames (keeps the buffers and linear_pos rows). */
void rel_encoder_state_reset(rel_encoder_state *st);
/* Frames consumed so far. */
int rel_encoder_state_len(const rel_encoder_state *st);

/* Appends n >= 1 frames x [n][input_size]; writes their outputs to
 * y [n][output_size] (after the final LayerNorm). Equals rows len..len+n-1
 * of rel_encoder_forward on the whole prefix with a causal mask. Fails with
 * RESOURCE_EXHAUSTED once max_len would be exceeded. */
cv_status rel_encoder_step(const rel_encoder *enc, rel_encoder_state *st, const float *x,
                           int n, float *y);

#endif
