/* Whole-sequence forward and incremental (key/value cached) decoding of the
 * relative-position encoder. */
#include <stdlib.h>
#include <string.h>

#include "model/blocks/rel_encoder_internal.h"
#include "nn/matmul.h"
#include "nn/ops.h"

/* The attention half of a layer on h [n][d] at positions pos0.., in place.
 * The frames' keys/values are written to k_new/v_new, which must be the
 * rows pos0.. of k_all/v_all (Tk rows in all). */
static cv_status attention_block(const rel_encoder *enc, const rel_layer *L, float *h, int n,
                                 int pos0, float *k_new, float *v_new, const float *k_all,
                                 const float *v_all, int Tk, const float *P, int P_rows,
                                 int p_off, int chunk, nn_pool *pool)
{
    int d = enc->cfg.output_size;
    size_t sz = (size_t)n * d;
    float *xn = malloc(sz * sizeof(float));
    float *q = malloc(sz * sizeof(float));
    float *ctx = malloc(sz * sizeof(float));
    cv_status s = cv_ok();
    if (!xn || !q || !ctx) {
        s = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory in attention");
        goto done;
    }
    nn_layer_norm(h, xn, n, d, L->norm_att.g, L->norm_att.b, 1e-12f);
    if (n == 1) { /* one job for the three products of the same row */
        const rel_lin *l[3] = {&L->q, &L->k, &L->v};
        float *ys[3] = {q, k_new, v_new};
        nn_matvec_item it[3];
        for (int i = 0; i < 3; i++)
            it[i] = (nn_matvec_item){.W = l[i]->w, .q8 = l[i]->q8.q ? &l[i]->q8 : NULL,
                                     .b = l[i]->b, .out = l[i]->out, .y = ys[i]};
        nn_matvec_multi(pool, it, 3, d, xn);
    } else {
        rel_lin_apply(&L->q, xn, n, q, pool);
        rel_lin_apply(&L->k, xn, n, k_new, pool);
        rel_lin_apply(&L->v, xn, n, v_new, pool);
    }
    /* a single last frame sees every key under any of the masks used here */
    if (n == 1 && pos0 == Tk - 1 && p_off == 0)
        s = rel_attention_one(enc, L, q, pos0, k_all, v_all, Tk, P, ctx, pool);
    else
        s = rel_attention(enc, L, q, n, pos0, k_all, v_all, Tk, P, P_rows, p_off, chunk, ctx);
    if (!cv_is_ok(&s)) goto done;
    rel_lin_apply(&L->o, ctx, n, xn, pool);
    nn_add(h, xn, sz);
done:
    free(xn), free(q), free(ctx);
    return s;
}

cv_status rel_encoder_forward(const rel_encoder *enc, const float *x, int T, float *y)
{
    return rel_encoder_forward_chunked(enc, x, T, enc->cfg.static_chunk_size, y);
}

cv_status rel_encoder_forward_chunked(const rel_encoder *enc, const float *x, int T, int chunk,
                                      float *y)
{
    return rel_encoder_forward_stop(enc, x, T, chunk, y, NULL);
}

static cv_status layers(const rel_encoder *enc, float *y, int T, int chunk, const cv_stop *stop);

cv_status rel_encoder_forward_stop(const rel_encoder *enc, const float *x, int T, int chunk,
                                   float *y, const cv_stop *stop)
{
    if (T < 1) return cv_error(CV_INVALID_ARGUMENT, "encoder input is empty");
    rel_embed(enc, x, T, y, NULL);
    return layers(enc, y, T, chunk, stop);
}

void rel_encoder_embed(const rel_encoder *enc, const float *x, int T, float *h)
{
    rel_embed(enc, x, T, h, NULL);
}

cv_status rel_encoder_layers(const rel_encoder *enc, float *y, int T, int chunk)
{
    return layers(enc, y, T, chunk, NULL);
}

static cv_status layers(const rel_encoder *enc, float *y, int T, int chunk, const cv_stop *stop)
{
    if (chunk < 0) return cv_error(CV_INVALID_ARGUMENT, "negative chunk size");
    if (T < 1) return cv_error(CV_INVALID_ARGUMENT, "encoder input is empty");
    const rel_encoder_config *c = &enc->cfg;
    int d = c->output_size;
    /* Relative distances a query can see: up to T-1 to the left, and to the
     * right as far as the chunk mask lets it (everything when chunk is 0). */
    int neg = chunk > 0 ? chunk - 1 : T - 1;
    if (neg > T - 1) neg = T - 1;
    int P_rows = T + neg;
    size_t sz = (size_t)T * d;
    float *pe = malloc((size_t)P_rows * d * sizeof(float));
    float *P = malloc((size_t)P_rows * d * sizeof(float));
    float *k = malloc(sz * sizeof(float));
    float *v = malloc(sz * sizeof(float));
    cv_status s = cv_ok();
    if (!pe || !P || !k || !v) {
        s = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory in encoder");
        goto done;
    }
    rel_pos_sinusoids(enc, -neg, P_rows, pe);
    for (int l = 0; l < c->num_blocks && cv_is_ok(&s); l++) {
        const rel_layer *L = &enc->layers[l];
        if (cv_stop_requested(stop)) {
            s = cv_error(CV_CANCELLED, "cancelled");
            break;
        }
        rel_lin_apply(&L->pos, pe, P_rows, P, NULL);
        s = attention_block(enc, L, y, T, 0, k, v, k, v, T, P, P_rows, neg, chunk, NULL);
        if (cv_is_ok(&s)) s = rel_feed_forward(enc, L, y, T, NULL);
    }
    if (cv_is_ok(&s) && !c->no_final_norm)
        nn_layer_norm(y, y, T, d, enc->after_norm.g, enc->after_norm.b, 1e-5f);
done:
    free(pe), free(P), free(k), free(v);
    return s;
}

/* ---- incremental decoding --------------------------------------------- */

/* linear_pos rows are computed in blocks of this many distances with one
 * matrix product, amortising the weight reads over many steps. */
#define POS_BLOCK 64

/* The cache starts at this many frames and doubles as needed (up to
 * max_len), so a generous max_len costs nothing until it is used. */
#define CACHE_START 256

rel_encoder_state *rel_encoder_state_new(const rel_encoder *enc, int max_len, nn_pool *pool)
{
    if (max_len < 1) return NULL;
    int nl = enc->cfg.num_blocks;
    rel_encoder_state *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->max_len = max_len;
    st->d = enc->cfg.output_size;
    st->pool = pool;
    st->key = calloc((size_t)nl, sizeof(float *));
    st->value = calloc((size_t)nl, sizeof(float *));
    st->pos = calloc((size_t)nl, sizeof(float *));
    st->n_layers = nl;
    if (!st->key || !st->value || !st->pos) {
        rel_encoder_state_free(st);
        return NULL;
    }
    return st;
}

/* Room for `need` frames in every layer's key, value and linear_pos rows. */
static cv_status ensure_capacity(rel_encoder_state *st, int need)
{
    if (need <= st->cap) return cv_ok();
    long cap = st->cap > 0 ? 2L * st->cap : CACHE_START;
    if (cap < need) cap = need;
    if (cap > st->max_len) cap = st->max_len;
    size_t bytes = (size_t)cap * st->d * sizeof(float);
    for (int l = 0; l < st->n_layers; l++) {
        float **arr[3] = {&st->key[l], &st->value[l], &st->pos[l]};
        for (int a = 0; a < 3; a++) {
            float *p = realloc(*arr[a], bytes);
            if (!p) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory for the encoder cache");
            *arr[a] = p;
        }
    }
    st->cap = (int)cap;
    return cv_ok();
}

void rel_encoder_state_free(rel_encoder_state *st)
{
    if (!st) return;
    for (int l = 0; l < st->n_layers; l++) {
        if (st->key) free(st->key[l]);
        if (st->value) free(st->value[l]);
        if (st->pos) free(st->pos[l]);
    }
    free(st->key), free(st->value), free(st->pos);
    free(st);
}

void rel_encoder_state_reset(rel_encoder_state *st) { st->len = 0; }

int rel_encoder_state_len(const rel_encoder_state *st) { return st->len; }

/* Makes linear_pos(pe(r)) available for r < need in every layer. */
static cv_status ensure_pos_rows(const rel_encoder *enc, rel_encoder_state *st, int need)
{
    if (need <= st->pos_rows) return cv_ok();
    int d = enc->cfg.output_size;
    int upto = ((need + POS_BLOCK - 1) / POS_BLOCK) * POS_BLOCK;
    if (upto > st->cap) upto = st->cap;
    int n = upto - st->pos_rows;
    float *pe = malloc((size_t)n * d * sizeof(float));
    if (!pe) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    rel_pos_sinusoids(enc, st->pos_rows, n, pe);
    for (int l = 0; l < enc->cfg.num_blocks; l++)
        rel_lin_apply(&enc->layers[l].pos, pe, n, st->pos[l] + (size_t)st->pos_rows * d,
                      st->pool);
    free(pe);
    st->pos_rows = upto;
    return cv_ok();
}

cv_status rel_encoder_step(const rel_encoder *enc, rel_encoder_state *st, const float *x,
                           int n, float *y)
{
    if (n < 1) return cv_error(CV_INVALID_ARGUMENT, "encoder step without input");
    if (n > st->max_len - st->len)
        return cv_error(CV_RESOURCE_EXHAUSTED, "encoder cache full (%d frames)", st->max_len);
    const rel_encoder_config *c = &enc->cfg;
    int d = c->output_size, pos0 = st->len, Tk = pos0 + n;
    cv_status s = ensure_capacity(st, Tk);
    if (cv_is_ok(&s)) s = ensure_pos_rows(enc, st, Tk);
    if (!cv_is_ok(&s)) return s;
    rel_embed(enc, x, n, y, st->pool);
    for (int l = 0; l < c->num_blocks && cv_is_ok(&s); l++) {
        const rel_layer *L = &enc->layers[l];
        float *k_new = st->key[l] + (size_t)pos0 * d;
        float *v_new = st->value[l] + (size_t)pos0 * d;
        /* causal: each new frame sees the cache and the new frames up to itself */
        s = attention_block(enc, L, y, n, pos0, k_new, v_new, st->key[l], st->value[l], Tk,
                            st->pos[l], Tk, 0, 1, st->pool);
        if (cv_is_ok(&s)) s = rel_feed_forward(enc, L, y, n, st->pool);
    }
    if (!cv_is_ok(&s)) return s;
    nn_layer_norm(y, y, n, d, enc->after_norm.g, enc->after_norm.b, 1e-5f);
    st->len = Tk;
    return cv_ok();
}
