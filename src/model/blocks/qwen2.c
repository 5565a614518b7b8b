/* The Qwen2 decoder: weights, key/value cache and the layer computation. */
#include "model/blocks/qwen2.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/io/pt_bind.h"
#include "nn/head_dots.h"
#include "nn/matmul.h"
#include "nn/matvec.h"
#include "nn/ops.h"
#include "nn/rope.h"

typedef struct q2_lin {
    const float *w, *b; /* [out][in], b may be NULL */
    int out, in;
    nn_q8 q8; /* after qwen2_quantize */
} q2_lin;

typedef struct q2_layer {
    const float *in_norm, *post_norm;
    q2_lin q, k, v, o, gate, up, down;
} q2_layer;

struct qwen2 {
    qwen2_config cfg;
    const float *embed; /* [vocab][hidden] */
    const float *norm;
    q2_layer *layers;
    float *inv_freq; /* [head_dim / 2] */
};

struct qwen2_state {
    const qwen2 *m;
    nn_pool *pool;
    int len, cap;   /* positions cached, room for */
    float **k, **v; /* per layer [cap][kv_heads * head_dim], keys after RoPE */
    /* per-step scratch for up to `rows` positions */
    int rows;
    float *h, *a, *q, *ctx, *o, *gate, *up;
    float *scores; /* attention scores: [rows][cap], or [heads][cap] for one position */
};

static cv_status bind_lin(const pt_dict *sd, const char *prefix, int layer, const char *name,
                          int out, int in, bool bias, q2_lin *l)
{
    char key[128];
    l->out = out, l->in = in;
    snprintf(key, sizeof key, "layers.%d.%s.weight", layer, name);
    cv_status s = pt_bind(sd, prefix, key, out, in, &l->w);
    if (cv_is_ok(&s) && bias) {
        snprintf(key, sizeof key, "layers.%d.%s.bias", layer, name);
        s = pt_bind(sd, prefix, key, out, 0, &l->b);
    }
    return s;
}

cv_status qwen2_load(const pt_dict *sd, const char *prefix, const qwen2_config *cfg,
                     qwen2 **out)
{
    *out = NULL;
    const qwen2_config *c = cfg;
    qwen2 *m = calloc(1, sizeof *m);
    if (!m) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    m->cfg = *c;
    m->layers = calloc((size_t)c->layers, sizeof *m->layers);
    m->inv_freq = malloc((size_t)(c->head_dim / 2) * sizeof(float));
    if (!m->layers || !m->inv_freq) {
        qwen2_free(m);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    nn_rope_inv_freq(c->rope_theta, c->head_dim, m->inv_freq);
    int H = c->hidden, qd = c->heads * c->head_dim, kvd = c->kv_heads * c->head_dim;
    int F = c->intermediate;
    cv_status s = pt_bind(sd, prefix, "embed_tokens.weight", c->vocab, H, &m->embed);
    if (cv_is_ok(&s)) s = pt_bind(sd, prefix, "norm.weight", H, 0, &m->norm);
    for (int i = 0; i < c->layers && cv_is_ok(&s); i++) {
        q2_layer *L = &m->layers[i];
        char key[128];
        snprintf(key, sizeof key, "layers.%d.input_layernorm.weight", i);
        s = pt_bind(sd, prefix, key, H, 0, &L->in_norm);
        snprintf(key, sizeof key, "layers.%d.post_attention_layernorm.weight", i);
        if (cv_is_ok(&s)) s = pt_bind(sd, prefix, key, H, 0, &L->post_norm);
        if (cv_is_ok(&s)) s = bind_lin(sd, prefix, i, "self_attn.q_proj", qd, H, true, &L->q);
        if (cv_is_ok(&s)) s = bind_lin(sd, prefix, i, "self_attn.k_proj", kvd, H, true, &L->k);
        if (cv_is_ok(&s)) s = bind_lin(sd, prefix, i, "self_attn.v_proj", kvd, H, true, &L->v);
        if (cv_is_ok(&s)) s = bind_lin(sd, prefix, i, "self_attn.o_proj", H, qd, false, &L->o);
        if (cv_is_ok(&s)) s = bind_lin(sd, prefix, i, "mlp.gate_proj", F, H, false, &L->gate);
        if (cv_is_ok(&s)) s = bind_lin(sd, prefix, i, "mlp.up_proj", F, H, false, &L->up);
        if (cv_is_ok(&s)) s = bind_lin(sd, prefix, i, "mlp.down_proj", H, F, false, &L->down);
    }
    if (!cv_is_ok(&s)) {
        qwen2_free(m);
        return s;
    }
    *out = m;
    return cv_ok();
}

cv_status qwen2_quantize(qwen2 *m)
{
    for (int i = 0; i < m->cfg.layers; i++) {
        q2_layer *L = &m->layers[i];
        q2_lin *lins[] = {&L->q, &L->k, &L->v, &L->o, &L->gate, &L->up, &L->down};
        for (size_t j = 0; j < sizeof lins / sizeof *lins; j++)
            if (!lins[j]->q8.q && !nn_q8_quantize(lins[j]->w, lins[j]->out, lins[j]->in, &lins[j]->q8))
                return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory quantizing weights");
    }
    return cv_ok();
}

void qwen2_free(qwen2 *m)
{
    if (!m) return;
    for (int i = 0; m->layers && i < m->cfg.layers; i++) {
        q2_layer *L = &m->layers[i];
        q2_lin *lins[] = {&L->q, &L->k, &L->v, &L->o, &L->gate, &L->up, &L->down};
        for (size_t j = 0; j < sizeof lins / sizeof *lins; j++) nn_q8_free(&lins[j]->q8);
    }
    free(m->layers);
    free(m->inv_freq);
    free(m);
}

const qwen2_config *qwen2_cfg(const qwen2 *m) { return &m->cfg; }

const float *qwen2_embedding(const qwen2 *m, int id)
{
    if (id < 0 || id >= m->cfg.vocab) return NULL;
    return m->embed + (size_t)id * m->cfg.hidden;
}

/* ---- state ----------------------------------------------------------------- */

qwen2_state *qwen2_state_new(const qwen2 *m, nn_pool *pool)
{
    qwen2_state *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->m = m;
    st->pool = pool;
    st->k = calloc((size_t)m->cfg.layers, sizeof *st->k);
    st->v = calloc((size_t)m->cfg.layers, sizeof *st->v);
    if (!st->k || !st->v) {
        qwen2_state_free(st);
        return NULL;
    }
    return st;
}

static void free_scratch(qwen2_state *st)
{
    free(st->h), free(st->a), free(st->q), free(st->ctx), free(st->o), free(st->gate);
    free(st->up), free(st->scores);
    st->h = st->a = st->q = st->ctx = st->o = st->gate = st->up = st->scores = NULL;
    st->rows = 0;
}

void qwen2_state_free(qwen2_state *st)
{
    if (!st) return;
    for (int i = 0; st->k && i < st->m->cfg.layers; i++) free(st->k[i]);
    for (int i = 0; st->v && i < st->m->cfg.layers; i++) free(st->v[i]);
    free(st->k);
    free(st->v);
    free_scratch(st);
    free(st);
}

int qwen2_state_len(const qwen2_state *st) { return st->len; }

/* Room in the cache for `need` positions in all, and scratch for n rows. */
static cv_status reserve(qwen2_state *st, int need, int n)
{
    const qwen2_config *c = &st->m->cfg;
    if (need > c->max_positions)
        return cv_error(CV_RESOURCE_EXHAUSTED,
                        "llm: %d positions exceed the model's max_position_embeddings (%d)", need,
                        c->max_positions);
    bool grown = false;
    if (need > st->cap) {
        int cap = st->cap ? st->cap : 64;
        while (cap < need) cap *= 2;
        if (cap > c->max_positions) cap = c->max_positions;
        size_t row = (size_t)c->kv_heads * c->head_dim * sizeof(float);
        for (int i = 0; i < c->layers; i++) {
            float *k = realloc(st->k[i], (size_t)cap * row);
            if (k) st->k[i] = k;
            float *v = realloc(st->v[i], (size_t)cap * row);
            if (v) st->v[i] = v;
            if (!k || !v) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory for the llm cache");
        }
        st->cap = cap;
        grown = true;
    }
    if (n > st->rows || grown) {
        int rows = n > st->rows ? n : st->rows;
        int H = c->hidden, qd = c->heads * c->head_dim, F = c->intermediate;
        free_scratch(st);
        size_t sc = (size_t)(rows > c->heads ? rows : c->heads) * st->cap;
        st->h = malloc((size_t)rows * H * sizeof(float));
        st->a = malloc((size_t)rows * H * sizeof(float));
        st->q = malloc((size_t)rows * qd * sizeof(float));
        st->ctx = malloc((size_t)rows * qd * sizeof(float));
        st->o = malloc((size_t)rows * H * sizeof(float));
        st->gate = malloc((size_t)rows * F * sizeof(float));
        st->up = malloc((size_t)rows * F * sizeof(float));
        st->scores = malloc(sc * sizeof(float));
        if (!st->h || !st->a || !st->q || !st->ctx || !st->o || !st->gate || !st->up ||
            !st->scores) {
            free_scratch(st);
            return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory for the llm step");
        }
        st->rows = rows;
    }
    return cv_ok();
}

/* ---- the layers ------------------------------------------------------------ */

static void lin_rows(const q2_lin *l, const float *x, int n, float *y, nn_pool *pool)
{
    if (n > 1) nn_linear(x, n, l->in, l->w, l->b, l->out, y);
    else if (l->q8.q) nn_q8_matvec(pool, &l->q8, l->b, x, y);
    else nn_matvec(pool, l->w, l->b, l->out, l->in, x, y);
}

/* One position's products of the same input as one job (one hand-over to
 * the pool). */
static void lin_multi(const q2_lin *const *ls, float *const *ys, int k, const float *x,
                      nn_pool *pool)
{
    nn_matvec_item items[NN_MATVEC_MAX_ITEMS];
    for (int i = 0; i < k; i++)
        items[i] = (nn_matvec_item){.W = ls[i]->w, .q8 = ls[i]->q8.q ? &ls[i]->q8 : NULL,
                                    .b = ls[i]->b, .out = ls[i]->out, .y = ys[i]};
    nn_matvec_multi(pool, items, k, ls[0]->in, x);
}

/* Attention of n >= 2 new positions (the last n of the cache) over the
 * cache, causal, one GEMM pair per query head. */
static void attention_rows(qwen2_state *st, int layer, int n)
{
    const qwen2_config *c = &st->m->cfg;
    int D = c->head_dim, qd = c->heads * D, kvd = c->kv_heads * D, rep = c->heads / c->kv_heads;
    int Tk = st->len + n, pos0 = st->len;
    float scale = 1.0f / sqrtf((float)D);
    for (int h = 0; h < c->heads; h++) {
        int g = h / rep;
        float *s = st->scores;
        nn_gemm(false, true, n, Tk, D, scale, st->q + h * D, qd, st->k[layer] + g * D, kvd, 0.0f,
                s, Tk);
        for (int i = 0; i < n; i++) {
            float *row = s + (size_t)i * Tk;
            int see = pos0 + i + 1;
            nn_softmax_rows(row, 1, see);
            memset(row + see, 0, (size_t)(Tk - see) * sizeof(float));
        }
        nn_gemm(false, false, n, D, Tk, 1.0f, s, Tk, st->v[layer] + g * D, kvd, 0.0f,
                st->ctx + h * D, qd);
    }
}

typedef struct one_job {
    const qwen2_state *st;
    int layer, Tk;
} one_job;

/* Heads [h0, h1) of a one-position attention over the whole cache, read
 * row by row (nn_head_dots): the same numbers as nn_dot / nn_axpy per head. */
static void one_heads(void *arg, int h0, int h1)
{
    const one_job *j = arg;
    const qwen2_state *st = j->st;
    const qwen2_config *c = &st->m->cfg;
    int D = c->head_dim, kvd = c->kv_heads * D, rep = c->heads / c->kv_heads, Tk = j->Tk;
    float scale = 1.0f / sqrtf((float)D);
    nn_head_dots(st->q, D, h0, h1, rep, D, st->k[j->layer], kvd, Tk, st->scores, st->cap);
    for (int h = h0; h < h1; h++) {
        float *sc = st->scores + (size_t)h * st->cap;
        for (int t = 0; t < Tk; t++) sc[t] *= scale;
        nn_softmax_rows(sc, 1, Tk);
    }
    nn_head_weighted_sum(st->scores, st->cap, h0, h1, rep, D, st->v[j->layer], kvd, Tk, st->ctx,
                         D);
}

static void attention_one(qwen2_state *st, int layer)
{
    one_job j = {.st = st, .layer = layer, .Tk = st->len + 1};
    /* heads are independent; worth splitting once the cache is long */
    int H = st->m->cfg.heads, threads = nn_pool_size(st->pool);
    nn_pool_for(j.Tk >= 64 ? st->pool : NULL, H, (H + threads - 1) / threads, one_heads, &j);
}

typedef struct swiglu_job {
    float *gate;
    const float *up;
} swiglu_job;

static void swiglu_range(void *arg, int b, int e)
{
    swiglu_job *j = arg;
    nn_silu(j->gate + b, j->gate + b, (size_t)(e - b));
    nn_mul(j->gate + b, j->up + b, (size_t)(e - b));
}

/* gate = silu(gate) * up, element by element: one expf per element (4864
 * per layer and token) is worth splitting over the pool when decoding. */
static void swiglu(float *gate, const float *up, size_t n, nn_pool *pool)
{
    if (!pool || n > INT_MAX) {
        nn_silu(gate, gate, n);
        nn_mul(gate, up, n);
        return;
    }
    swiglu_job j = {gate, up};
    nn_pool_for(pool, (int)n, 1024, swiglu_range, &j);
}

cv_status qwen2_step(const qwen2 *m, qwen2_state *st, const float *x, int n, float *y)
{
    if (n < 1) return cv_error(CV_INVALID_ARGUMENT, "llm: nothing to feed");
    cv_status s = reserve(st, st->len + n, n);
    if (!cv_is_ok(&s)) return s;
    const qwen2_config *c = &m->cfg;
    int H = c->hidden, D = c->head_dim, kvd = c->kv_heads * D, F = c->intermediate;
    int pos0 = st->len;
    nn_pool *pool = st->pool;
    memcpy(st->h, x, (size_t)n * H * sizeof(float));
    for (int l = 0; l < c->layers; l++) {
        const q2_layer *L = &m->layers[l];
        float *k = st->k[l] + (size_t)pos0 * kvd, *v = st->v[l] + (size_t)pos0 * kvd;
        nn_rms_norm(st->h, st->a, n, H, L->in_norm, c->rms_eps);
        if (n == 1) {
            const q2_lin *ls[] = {&L->q, &L->k, &L->v};
            float *ys[] = {st->q, k, v};
            lin_multi(ls, ys, 3, st->a, pool);
        } else {
            lin_rows(&L->q, st->a, n, st->q, pool);
            lin_rows(&L->k, st->a, n, k, pool);
            lin_rows(&L->v, st->a, n, v, pool);
        }
        nn_rope_half(st->q, n, c->heads * D, c->heads, D, pos0, m->inv_freq);
        nn_rope_half(k, n, kvd, c->kv_heads, D, pos0, m->inv_freq);
        if (n == 1) attention_one(st, l);
        else attention_rows(st, l, n);
        lin_rows(&L->o, st->ctx, n, st->o, pool);
        nn_add(st->h, st->o, (size_t)n * H);

        nn_rms_norm(st->h, st->a, n, H, L->post_norm, c->rms_eps);
        if (n == 1) {
            const q2_lin *ls[] = {&L->gate, &L->up};
            float *ys[] = {st->gate, st->up};
            lin_multi(ls, ys, 2, st->a, pool);
        } else {
            lin_rows(&L->gate, st->a, n, st->gate, pool);
            lin_rows(&L->up, st->a, n, st->up, pool);
        }
        swiglu(st->gate, st->up, (size_t)n * F, n == 1 ? pool : NULL);
        lin_rows(&L->down, st->gate, n, st->o, pool);
        nn_add(st->h, st->o, (size_t)n * H);
    }
    nn_rms_norm(st->h, y, n, H, m->norm, c->rms_eps);
    st->len += n;
    return cv_ok();
}
