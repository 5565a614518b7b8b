/* Internals of the relative-position encoder shared by its source files
 * (loading, whole-sequence forward, incremental step). Not a public API. */
#ifndef CV_MODEL_REL_ENCODER_INTERNAL_H
#define CV_MODEL_REL_ENCODER_INTERNAL_H

#include "model/blocks/rel_encoder.h"
#include "nn/matvec.h"
#include "nn/pool.h"

/* A Linear layer: weight [out][in] (PyTorch layout), bias [out] or NULL,
 * and optionally an 8-bit copy used for one-row products. */
typedef struct rel_lin {
    const float *w;
    const float *b;
    int in, out;
    nn_q8 q8; /* q8.q == NULL: not quantized */
} rel_lin;

typedef struct rel_norm {
    const float *g, *b;
} rel_norm;

typedef struct rel_layer {
    rel_norm norm_att, norm_ff;
    rel_lin q, k, v, o, pos;
    const float *bias_u, *bias_v; /* [heads][d_k] */
    rel_lin w1, w2;
} rel_layer;

struct rel_encoder {
    rel_encoder_config cfg;
    rel_lin embed;
    rel_norm embed_norm;
    rel_layer *layers;
    rel_norm after_norm;
    float *div_term; /* [d/2]: exp(-2i ln(10000)/d), as the reference computes it */
};

struct rel_encoder_state {
    int n_layers;
    int d;
    int max_len;
    int cap;       /* frames the arrays below have room for (<= max_len) */
    int len;       /* frames consumed */
    int pos_rows;  /* linear_pos rows ready in pos[l] (relative distances 0..pos_rows-1) */
    float **key;   /* per layer [cap][d] */
    float **value; /* per layer [cap][d] */
    float **pos;   /* per layer [cap][d]: linear_pos(pe(r)) for r >= 0 */
    nn_pool *pool; /* borrowed; NULL: the calling thread only */
};

/* y[n][out] = x W^T + b: a BLAS product for several rows, a streaming
 * matrix-vector product (8-bit if quantized) split over `pool` for one. */
void rel_lin_apply(const rel_lin *l, const float *x, int n, float *y, nn_pool *pool);

/* pe(r) for relative positions r0, r0+1, ..., r0+n-1 into out[n][d]. */
void rel_pos_sinusoids(const rel_encoder *enc, int r0, int n, float *out);

/* Embedding layer: Linear, LayerNorm(1e-5), optional ReLU, times sqrt(d).
 * x [n][input_size] -> h [n][d]; one row's product split over pool. */
void rel_embed(const rel_encoder *enc, const float *x, int n, float *h, nn_pool *pool);

/* Relative-position self-attention of one layer for n queries at absolute
 * positions pos0..pos0+n-1 against keys/values 0..Tk-1 (rows of width d).
 * P [P_rows][d] holds linear_pos(pe(r)) for r = -p_off .. P_rows-1-p_off.
 * Query i sees keys j < visible_end(i) where chunk 0 means all of them and
 * chunk c means the reference's chunk mask ((pos/c)+1)*c. Writes the
 * concatenated head outputs (before linear_out) to ctx [n][d]. */
cv_status rel_attention(const rel_encoder *enc, const rel_layer *L, const float *q, int n,
                        int pos0, const float *k, const float *v, int Tk, const float *P,
                        int P_rows, int p_off, int chunk, float *ctx);
/* The same for a single query (n == 1) that sees every key, without BLAS
 * call overhead. */
cv_status rel_attention_one(const rel_encoder *enc, const rel_layer *L, const float *q,
                            int pos, const float *k, const float *v, int Tk, const float *P,
                            float *ctx, nn_pool *pool);

/* The feed-forward half of a layer, in place on h [n][d] (residual added). */
cv_status rel_feed_forward(const rel_encoder *enc, const rel_layer *L, float *h, int n,
                           nn_pool *pool);

#endif
