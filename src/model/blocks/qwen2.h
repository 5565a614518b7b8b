/* The Qwen2 decoder that CosyVoice2 and CosyVoice3 run their speech-token
 * LM on (transformers' Qwen2Model, float32, eager attention), fed input
 * embeddings rather than token ids:
 *
 *   h = x
 *   num_hidden_layers x {
 *     a = RMSNorm(h)
 *     q, k, v = a Wq + bq, a Wk + bk, a Wv + bv      heads of head_dim; k, v
 *                                                     have num_key_value_heads
 *     q, k = RoPE(q), RoPE(k)                         rotate-half, rope_theta,
 *                                                     positions 0, 1, 2, ...
 *     h += Wo softmax(q k^T / sqrt(head_dim) + causal) v   (grouped-query:
 *                                                     query head i reads kv head
 *                                                     i / (heads / kv_heads))
 *     h += W_down (silu(W_gate RMSNorm(h)) * W_up RMSNorm(h))
 *   }
 *   out = RMSNorm(h)                                  (hidden_states[-1])
 *
 * Sizes come from CosyVoice-BlankEN/config.json, weights from llm.pt
 * ("llm.model.model.": embed_tokens, layers.N.self_attn.{q,k,v,o}_proj,
 * layers.N.mlp.{gate,up,down}_proj, the two layer norms, norm); lm_head is
 * tied to embed_tokens and never used here.
 *
 * Decoding is incremental: a qwen2_state holds the key/value cache of one
 * sequence, and each qwen2_step appends any number of positions (a whole
 * prompt, one speech token, a group of text embeddings: what the caller
 * feeds is its business, as CosyVoice2's bistream schedule needs). The
 * cache grows as needed up to max_position_embeddings.
 *
 * A loaded model is read-only and can serve concurrent decodings (one state
 * each). */
#ifndef CV_MODEL_QWEN2_H
#define CV_MODEL_QWEN2_H

#include <stdbool.h>

#include "common/status.h"
#include "model/io/pt_load.h"
#include "nn/pool.h"

typedef struct qwen2_config {
    int hidden;       /* hidden_size */
    int intermediate; /* intermediate_size */
    int layers;       /* num_hidden_layers */
    int heads;        /* num_attention_heads */
    int kv_heads;     /* num_key_value_heads (divides heads) */
    int head_dim;     /* hidden_size / num_attention_heads (or head_dim) */
    int vocab;        /* vocab_size: rows of embed_tokens */
    int max_positions; /* max_position_embeddings */
    float rms_eps;    /* rms_norm_eps */
    double rope_theta;
} qwen2_config;

/* Reads a transformers config.json of a Qwen2ForCausalLM. Settings the
 * decoder does not implement (another architecture or activation, rope
 * scaling, sliding-window attention) are refused with INVALID_ARGUMENT. */
cv_status qwen2_config_read(const char *path, qwen2_config *out);

typedef struct qwen2 qwen2;

/* Binds the weights under `prefix` (e.g. "llm.model.model.") of sd
 * (borrowed: sd must outlive the model), checking every shape. */
cv_status qwen2_load(const pt_dict *sd, const char *prefix, const qwen2_config *cfg,
                     qwen2 **out);
void qwen2_free(qwen2 *m);
/* Adds 8-bit copies (per-row scales) of every layer's projections, used
 * from then on by one-position steps; longer steps keep float32. Call
 * before sharing the model between threads. */
cv_status qwen2_quantize(qwen2 *m);
const qwen2_config *qwen2_cfg(const qwen2 *m);
/* Row `id` of embed_tokens ([hidden] floats), or NULL if id is out of range. */
const float *qwen2_embedding(const qwen2 *m, int id);

typedef struct qwen2_state qwen2_state;

/* A decoding state (key/value cache); one-position steps split their
 * products over `pool` (borrowed, may be NULL). */
qwen2_state *qwen2_state_new(const qwen2 *m, nn_pool *pool);
void qwen2_state_free(qwen2_state *st);
/* Positions consumed so far. */
int qwen2_state_len(const qwen2_state *st);

/* Appends n >= 1 positions x [n][hidden] (input embeddings) after those
 * already in st, each attending to all earlier positions and causally to
 * one another, and writes their outputs (after the final RMSNorm) to
 * y [n][hidden]. RESOURCE_EXHAUSTED past max_position_embeddings. */
cv_status qwen2_step(const qwen2 *m, qwen2_state *st, const float *x, int n, float *y);

#endif
