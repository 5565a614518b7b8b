/* ConditionalDecoder / CausalConditionalDecoder (CosyVoice flow estimator)
 * on the [C][B*T] layout. */
#include "model/blocks/flow_estimator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "nn/backend.h"
#include "nn/ops.h"
#include "nn/matmul.h"
#include "nn/parallel.h"
#include "nn/scratch.h"
#include "nn/vexp.h"
#include "nn/weights.h"
#include "model/blocks/seg_ops.h"

typedef struct { const float *w, *b; } lin_w;

typedef struct {
    int din, dout;
    lin_w mlp;            /* time embedding -> per-channel shift */
    lin_w conv1, conv2;   /* k=3 */
    lin_w gn1, gn2;       /* GroupNorm, or LayerNorm over channels (causal) */
    lin_w res;            /* 1x1 */
} resnet_w;

typedef struct {
    lin_w norm1, norm3;
    const float *q, *k, *v;
    float *qkv; /* q, k, v weights stacked [3*inner][dim]: one GEMM */
    lin_w out, ff1, ff2;
} xformer_w;

enum tail_kind { TAIL_NONE, TAIL_DOWN, TAIL_CONV, TAIL_UP };

typedef struct {
    resnet_w res;
    xformer_w *xf;
    enum tail_kind tail;
    lin_w tail_w;
} stage_w;

struct flow_estimator {
    flow_est_config cfg;
    int ted;   /* time embedding width */
    int inner; /* heads * head_dim */
    lin_w t1, t2;
    stage_w down[FLOW_EST_MAX_STAGES], up[FLOW_EST_MAX_STAGES];
    stage_w *mid;
    lin_w final_conv, final_gn, final_proj;
    /* scratch, sized for ncap = B*T columns */
    int att_rows;  /* query rows per attention piece; 0 = automatic */
    int ncap, tcap;
    size_t cmax;
    float *buf[4], *work, *qkv, *att, *ffb, *skip[FLOW_EST_MAX_STAGES];
    float *masks, *temb, *temb_act, *shift;
    bool *padded; /* [B] for the attention */
};

static int get_w(const pt_dict *src, const char *prefix, const char *name, int d0, int d1,
                 int d2, const float **dst) {
    *dst = flow_w(src, prefix, name, d0, d1, d2);
    return *dst != NULL;
}

/* Block1D is Sequential(conv, GroupNorm, Mish); CausalBlock1D is
 * Sequential(causal conv, Transpose, LayerNorm, Transpose, Mish), so its
 * norm is item 2. */
static const char *norm_item(bool causal, int block, const char *what, char *buf, size_t n) {
    snprintf(buf, n, "block%d.block.%d.%s", block, causal ? 2 : 1, what);
    return buf;
}

static int bind_resnet(resnet_w *r, const pt_dict *src, const char *p, int din, int dout,
                       int ted, bool causal) {
    char n[4][64];
    r->din = din;
    r->dout = dout;
    return get_w(src, p, "mlp.1.weight", dout, ted, 0, &r->mlp.w) &&
           get_w(src, p, "mlp.1.bias", dout, 0, 0, &r->mlp.b) &&
           get_w(src, p, "block1.block.0.weight", dout, din, 3, &r->conv1.w) &&
           get_w(src, p, "block1.block.0.bias", dout, 0, 0, &r->conv1.b) &&
           get_w(src, p, norm_item(causal, 1, "weight", n[0], 64), dout, 0, 0, &r->gn1.w) &&
           get_w(src, p, norm_item(causal, 1, "bias", n[1], 64), dout, 0, 0, &r->gn1.b) &&
           get_w(src, p, "block2.block.0.weight", dout, dout, 3, &r->conv2.w) &&
           get_w(src, p, "block2.block.0.bias", dout, 0, 0, &r->conv2.b) &&
           get_w(src, p, norm_item(causal, 2, "weight", n[2], 64), dout, 0, 0, &r->gn2.w) &&
           get_w(src, p, norm_item(causal, 2, "bias", n[3], 64), dout, 0, 0, &r->gn2.b) &&
           get_w(src, p, "res_conv.weight", dout, din, 1, &r->res.w) &&
           get_w(src, p, "res_conv.bias", dout, 0, 0, &r->res.b);
}

static int bind_xformer(xformer_w *x, const pt_dict *src, const char *p, int dim, int inner,
                        int ff) {
    return get_w(src, p, "norm1.weight", dim, 0, 0, &x->norm1.w) &&
           get_w(src, p, "norm1.bias", dim, 0, 0, &x->norm1.b) &&
           get_w(src, p, "attn1.to_q.weight", inner, dim, 0, &x->q) &&
           get_w(src, p, "attn1.to_k.weight", inner, dim, 0, &x->k) &&
           get_w(src, p, "attn1.to_v.weight", inner, dim, 0, &x->v) &&
           get_w(src, p, "attn1.to_out.0.weight", dim, inner, 0, &x->out.w) &&
           get_w(src, p, "attn1.to_out.0.bias", dim, 0, 0, &x->out.b) &&
           get_w(src, p, "norm3.weight", dim, 0, 0, &x->norm3.w) &&
           get_w(src, p, "norm3.bias", dim, 0, 0, &x->norm3.b) &&
           get_w(src, p, "ff.net.0.proj.weight", ff, dim, 0, &x->ff1.w) &&
           get_w(src, p, "ff.net.0.proj.bias", ff, 0, 0, &x->ff1.b) &&
           get_w(src, p, "ff.net.2.weight", dim, ff, 0, &x->ff2.w) &&
           get_w(src, p, "ff.net.2.bias", dim, 0, 0, &x->ff2.b);
}

/* Binds "<prefix><kind>.<i>.0" (resnet), ".1.<j>" (transformers), ".2" (tail). */
static int bind_stage(flow_estimator *e, stage_w *s, const pt_dict *src, const char *prefix,
                      const char *kind, int i, int din, int dout, enum tail_kind tail) {
    char p[256];
    const flow_est_config *c = &e->cfg;
    snprintf(p, sizeof p, "%s%s.%d.0.", prefix, kind, i);
    if (!bind_resnet(&s->res, src, p, din, dout, e->ted, c->causal)) return 0;
    s->xf = calloc((size_t)c->n_blocks, sizeof *s->xf);
    if (!s->xf) return 0;
    for (int j = 0; j < c->n_blocks; j++) {
        snprintf(p, sizeof p, "%s%s.%d.1.%d.", prefix, kind, i, j);
        xformer_w *x = &s->xf[j];
        if (!bind_xformer(x, src, p, dout, e->inner, dout * c->ff_mult)) return 0;
        size_t wn = (size_t)e->inner * dout;
        x->qkv = malloc(3 * wn * sizeof(float));
        if (!x->qkv) return 0;
        memcpy(x->qkv, x->q, wn * sizeof(float));
        memcpy(x->qkv + wn, x->k, wn * sizeof(float));
        memcpy(x->qkv + 2 * wn, x->v, wn * sizeof(float));
        if (!nn_weights_add(x->qkv, 3 * wn)) return 0;
    }
    s->tail = tail;
    int k = tail == TAIL_UP ? 4 : 3;
    if (tail == TAIL_DOWN || tail == TAIL_UP)
        snprintf(p, sizeof p, "%s%s.%d.2.conv.", prefix, kind, i);
    else
        snprintf(p, sizeof p, "%s%s.%d.2.", prefix, kind, i);
    if (tail == TAIL_NONE) return 1;
    return get_w(src, p, "weight", dout, dout, k, &s->tail_w.w) &&
           get_w(src, p, "bias", dout, 0, 0, &s->tail_w.b);
}

cv_status flow_estimator_create(const flow_est_config *cfg, const pt_dict *src,
                                const char *prefix, flow_estimator **out) {
    *out = NULL;
    if (cfg->n_stages < 1 || cfg->n_stages > FLOW_EST_MAX_STAGES || cfg->groups < 1 ||
        cfg->in_channels % 2 || cfg->num_heads < 1 || cfg->head_dim < 1 ||
        cfg->static_chunk_size < 0)
        return cv_error(CV_INVALID_ARGUMENT, "flow estimator: bad configuration");
    for (int i = 0; !cfg->causal && i < cfg->n_stages; i++)
        if (cfg->channels[i] % cfg->groups)
            return cv_error(CV_INVALID_ARGUMENT, "flow estimator: channels %% groups != 0");
    flow_estimator *e = calloc(1, sizeof *e);
    if (!e) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    e->cfg = *cfg;
    e->ted = cfg->channels[0] * 4;
    e->inner = cfg->num_heads * cfg->head_dim;
    int ns = cfg->n_stages, ok = 1;
    ok = ok && get_w(src, prefix, "time_mlp.linear_1.weight", e->ted, cfg->in_channels, 0, &e->t1.w);
    ok = ok && get_w(src, prefix, "time_mlp.linear_1.bias", e->ted, 0, 0, &e->t1.b);
    ok = ok && get_w(src, prefix, "time_mlp.linear_2.weight", e->ted, e->ted, 0, &e->t2.w);
    ok = ok && get_w(src, prefix, "time_mlp.linear_2.bias", e->ted, 0, 0, &e->t2.b);
    int cin = cfg->in_channels;
    for (int i = 0; ok && i < ns; i++) {
        ok = bind_stage(e, &e->down[i], src, prefix, "down_blocks", i, cin, cfg->channels[i],
                        i == ns - 1 ? TAIL_CONV : TAIL_DOWN);
        cin = cfg->channels[i];
    }
    e->mid = calloc((size_t)(cfg->num_mid_blocks > 0 ? cfg->num_mid_blocks : 1), sizeof *e->mid);
    ok = ok && e->mid;
    for (int i = 0; ok && i < cfg->num_mid_blocks; i++)
        ok = bind_stage(e, &e->mid[i], src, prefix, "mid_blocks", i, cin, cin, TAIL_NONE);
    /* up stage i joins the output so far with the skip of level ns-1-i */
    for (int i = 0; ok && i < ns; i++) {
        int lvl = ns - 1 - i;
        int dout = lvl > 0 ? cfg->channels[lvl - 1] : cfg->channels[0];
        ok = bind_stage(e, &e->up[i], src, prefix, "up_blocks", i, cin + cfg->channels[lvl], dout,
                        i == ns - 1 ? TAIL_CONV : TAIL_UP);
        cin = dout;
    }
    const char *fn_w = cfg->causal ? "final_block.block.2.weight" : "final_block.block.1.weight";
    const char *fn_b = cfg->causal ? "final_block.block.2.bias" : "final_block.block.1.bias";
    ok = ok && get_w(src, prefix, "final_block.block.0.weight", cin, cin, 3, &e->final_conv.w);
    ok = ok && get_w(src, prefix, "final_block.block.0.bias", cin, 0, 0, &e->final_conv.b);
    ok = ok && get_w(src, prefix, fn_w, cin, 0, 0, &e->final_gn.w);
    ok = ok && get_w(src, prefix, fn_b, cin, 0, 0, &e->final_gn.b);
    ok = ok && get_w(src, prefix, "final_proj.weight", cfg->out_channels, cin, 1, &e->final_proj.w);
    ok = ok && get_w(src, prefix, "final_proj.bias", cfg->out_channels, 0, 0, &e->final_proj.b);
    if (!ok) {
        flow_estimator_free(e);
        return cv_error(CV_INVALID_ARGUMENT, "flow estimator: missing or mis-shaped weights");
    }
    /* widest activation any buffer has to hold */
    size_t cmax = (size_t)cfg->in_channels;
    for (int i = 0; i < ns; i++) {
        size_t c = (size_t)cfg->channels[i];
        if (2 * c > cmax) cmax = 2 * c;
        if (c * cfg->ff_mult > cmax) cmax = c * cfg->ff_mult;
    }
    if ((size_t)e->inner > cmax) cmax = e->inner;
    if ((size_t)cfg->out_channels > cmax) cmax = cfg->out_channels;
    e->cmax = cmax;
    *out = e;
    return cv_ok();
}

static void free_stage(stage_w *s, int n_blocks) {
    if (s->xf)
        for (int j = 0; j < n_blocks; j++) {
            if (s->xf[j].qkv) nn_weights_remove(s->xf[j].qkv);
            free(s->xf[j].qkv);
        }
    free(s->xf);
}

static void free_scratch(flow_estimator *e) {
    for (int i = 0; i < 4; i++) free(e->buf[i]);
    for (int i = 0; i < FLOW_EST_MAX_STAGES; i++) free(e->skip[i]);
    free(e->work);
    free(e->qkv);
    free(e->att);
    free(e->ffb);
    free(e->masks);
    free(e->temb);
    free(e->padded);
    e->padded = NULL;
    memset(e->buf, 0, sizeof e->buf);
    memset(e->skip, 0, sizeof e->skip);
    e->work = e->qkv = e->att = e->ffb = e->masks = e->temb = NULL;
    e->ncap = e->tcap = 0;
}

void flow_estimator_free(flow_estimator *e) {
    if (!e) return;
    for (int i = 0; i < FLOW_EST_MAX_STAGES; i++) {
        free_stage(&e->down[i], e->cfg.n_blocks);
        free_stage(&e->up[i], e->cfg.n_blocks);
    }
    if (e->mid)
        for (int i = 0; i < e->cfg.num_mid_blocks; i++) free_stage(&e->mid[i], e->cfg.n_blocks);
    free(e->mid);
    free_scratch(e);
    free(e);
}

static int ensure_scratch(flow_estimator *e, int B, int T) {
    int N = B * T;
    if (N <= e->ncap && T <= e->tcap) return 1;
    free_scratch(e);
    const flow_est_config *c = &e->cfg;
    size_t big = e->cmax * (size_t)N;
    int ok = 1;
    for (int i = 0; i < 4; i++) ok = ok && (e->buf[i] = malloc(big * sizeof(float)));
    for (int i = 0; i < c->n_stages; i++)
        ok = ok && (e->skip[i] = malloc((size_t)c->channels[i] * N * sizeof(float)));
    ok = ok && (e->work = malloc(e->cmax * 4 * (size_t)N * sizeof(float)));
    ok = ok && (e->qkv = malloc((size_t)3 * e->inner * N * sizeof(float)));
    ok = ok && (e->att = malloc((size_t)e->inner * N * sizeof(float)));
    size_t ffw = 0;
    for (int i = 0; i < c->n_stages; i++)
        if ((size_t)c->channels[i] * c->ff_mult > ffw) ffw = (size_t)c->channels[i] * c->ff_mult;
    ok = ok && (e->ffb = malloc(ffw * N * sizeof(float)));
    ok = ok && (e->masks = malloc(((size_t)N + (size_t)B * FLOW_EST_MAX_STAGES) * sizeof(float)));
    size_t tw = (size_t)B * (c->in_channels + 2 * e->ted + e->cmax);
    ok = ok && (e->temb = malloc(tw * sizeof(float)));
    ok = ok && (e->padded = malloc((size_t)N * sizeof(bool))); /* B <= N */
    if (!ok) {
        free_scratch(e);
        return 0;
    }
    e->temb_act = e->temb + (size_t)B * c->in_channels + (size_t)B * e->ted;
    e->shift = e->temb_act + (size_t)B * e->ted;
    e->ncap = N;
    e->tcap = T;
    return 1;
}

/* Element-wise activation in place, split over the threads for big tensors
 * (GELU on the feed-forward width is the largest serial step). */
typedef struct {
    void (*fn)(const float *, float *, size_t);
    float *x;
    size_t n;
} act_job;

#define ACT_BLOCK 4096

static void act_range(void *ctx, int begin, int end) {
    act_job *j = ctx;
    size_t lo = (size_t)begin * ACT_BLOCK, hi = (size_t)end * ACT_BLOCK;
    if (hi > j->n) hi = j->n;
    j->fn(j->x + lo, j->x + lo, hi - lo);
}

static void par_act(void (*fn)(const float *, float *, size_t), float *x, size_t n) {
    act_job j = {fn, x, n};
    nn_parallel_for((int)((n + ACT_BLOCK - 1) / ACT_BLOCK), 4, act_range, &j);
}

/* A kernel-3 convolution: centred, or causal (both pads on the left). */
static void conv3(flow_estimator *e, const float *x, int din, int B, int T, lin_w w, int dout,
                  float *y) {
    int left = e->cfg.causal ? 2 : 1;
    seg_conv1d_lr(x, din, B, T, w.w, w.b, dout, 3, 1, left, 2 - left, y, e->work, 0);
}

/* Block1D: y = mask * mish(groupnorm(conv3(x))); CausalBlock1D: causal
 * conv3 and LayerNorm over channels. x must already be masked. */
static void block1d(flow_estimator *e, const float *x, int din, int dout, int B, int T,
                    lin_w conv, lin_w gn, const float *mask, float *y) {
    conv3(e, x, din, B, T, conv, dout, y);
    if (e->cfg.causal) {
        seg_layer_norm(y, dout, B * T, gn.w, gn.b, y);
    } else {
        seg_group_norm(y, dout, B, T, e->cfg.groups, gn.w, gn.b);
    }
    par_act(nn_mish, y, (size_t)dout * B * T);
    seg_mul_mask(y, dout, B * T, mask);
}

/* ResnetBlock1D. x ([din][N]) is masked in place; result in y, h is scratch. */
static void resnet_forward(flow_estimator *e, const resnet_w *r, float *x, int B, int T,
                           const float *mask, float *y, float *h) {
    int N = B * T;
    seg_mul_mask(x, r->din, N, mask);
    block1d(e, x, r->din, r->dout, B, T, r->conv1, r->gn1, mask, h);
    /* h += Linear(Mish(t_emb)) per batch item */
    for (int b = 0; b < B; b++) {
        float *sh = e->shift + (size_t)b * r->dout;
        memcpy(sh, r->mlp.b, (size_t)r->dout * sizeof(float));
        nn_gemm(false, false, r->dout, 1, e->ted, 1.0f, r->mlp.w, e->ted,
                e->temb_act + (size_t)b * e->ted, 1, 1.0f, sh, 1);
        for (int c = 0; c < r->dout; c++) {
            float *hs = h + (size_t)c * N + (size_t)b * T;
            for (int t = 0; t < T; t++) hs[t] += sh[c];
        }
    }
    seg_mul_mask(h, r->dout, N, mask);
    block1d(e, h, r->dout, r->dout, B, T, r->conv2, r->gn2, mask, y);
    seg_conv1d(x, r->din, B, T, r->res.w, r->res.b, r->dout, 1, 1, 0, y, NULL, 1);
}

/* Attention pieces: (item, head, block of query rows), each product run
 * serially, the pieces side by side on the shared threads rather than as
 * many tiny split products that mostly synchronise (nn_parallel_for, as the
 * products: no second pool whose idle thread spins while the other works on
 * 2 cores). A block's scores stay within ATT_SCORES floats, in the core's
 * cache between the two products; under a chunk mask a block is one chunk,
 * so it skips the keys past its chunk's end. Blocks of all rows (products
 * of 200 x 200 x 64 per head at 4 s) took 1.3x less CPU time than the
 * earlier blocks of 2^18 multiply-adds (20 rows). The pieces depend on T,
 * the chunk and the head size only, so results do not depend on the
 * threads. */
#define ATT_SCORES (1L << 17)
typedef struct {
    const float *q, *k, *v, *mask;
    const bool *padded; /* [B]: item b has masked keys (NULL: none has) */
    float *out;
    int H, dh, T, rows, nblk;
    int chunk; /* > 0: query i sees keys < (i / chunk + 1) * chunk */
    size_t N;
    float scale;
} att_job;

static void att_range(void *ctx, int begin, int end) {
    const att_job *j = ctx;
    int T = j->T;
    float *S = nn_scratch(NN_SCRATCH_ATTENTION, (size_t)j->rows * T);
    if (!S) abort(); /* at most ATT_SCORES floats; nothing sensible to do without it */
    for (int w = begin; w < end; w++) {
        int blk = w % j->nblk, p = w / j->nblk, b = p / j->H, h = p % j->H;
        int i0 = blk * j->rows, r = T - i0 < j->rows ? T - i0 : j->rows;
        size_t off = (size_t)h * j->dh * j->N + (size_t)b * T;
        /* with a chunk mask the block's rows see keys below the last row's
         * chunk end at most: the keys past it would get weight exp(-1e10)
         * = 0, so they are left out (same result, less work) */
        int Tk = T;
        if (j->chunk > 0) {
            long e = ((long)(i0 + r - 1) / j->chunk + 1) * j->chunk;
            Tk = e < T ? (int)e : T;
        }
        /* S[i][j] = scale * sum_d q[d][i0+i] k[d][j] */
        nn_backend_sgemm(true, false, r, Tk, j->dh, j->scale, j->q + off + i0, (int)j->N,
                         j->k + off, (int)j->N, 0.0f, S, Tk);
        if (j->padded && j->padded[b])
            for (int i = 0; i < r; i++)
                for (int t = 0; t < Tk; t++)
                    if (j->mask[(size_t)b * T + t] == 0.0f) S[(size_t)i * Tk + t] += -1.0e10f;
        /* the chunk mask as the reference applies it: a -1e10 bias */
        for (int i = 0; j->chunk > 0 && i < r; i++) {
            long end = ((long)(i0 + i) / j->chunk + 1) * j->chunk;
            for (long t = end; t < Tk; t++) S[(size_t)i * Tk + t] += -1.0e10f;
        }
        nn_softmax_rows(S, r, Tk);
        /* out[d][i0+i] = sum_j v[d][j] S[i][j] */
        nn_backend_sgemm(false, true, j->dh, r, Tk, 1.0f, j->v + off, (int)j->N, S, Tk, 0.0f,
                         j->out + off + i0, (int)j->N);
    }
}

static void attention(flow_estimator *e, const float *q, const float *k, const float *v, int B,
                      int T, const float *mask, int chunk) {
    int dh = e->cfg.head_dim;
    long rows = ATT_SCORES / T;
    if (chunk > 0 && chunk < rows) rows = chunk;
    if (e->att_rows > 0) rows = e->att_rows;
    if (rows < 1) rows = 1;
    if (rows > T) rows = T;
    /* the padding bias only for items that have padding: a mask of ones
     * (every frame real) adds nothing */
    bool *padded = NULL;
    if (mask) {
        padded = e->padded;
        for (int b = 0; b < B; b++) {
            padded[b] = false;
            for (int t = 0; t < T && !padded[b]; t++) padded[b] = mask[(size_t)b * T + t] == 0.0f;
        }
    }
    att_job j = {q, k, v, mask, padded, e->att, e->cfg.num_heads, dh, T, (int)rows,
                 (int)((T + rows - 1) / rows), chunk, (size_t)B * T, 1.0f / sqrtf((float)dh)};
    nn_parallel_for(B * j.H * j.nblk, 1, att_range, &j);
}

/* BasicTransformerBlock (pre-LN self-attention + GELU feed-forward), in place
 * on x [dim][B*T]. Padded keys get a -1e10 bias like the reference. */
static void xformer_forward(flow_estimator *e, const xformer_w *w, float *x, int dim, int B,
                            int T, const float *mask, int chunk, float *ln) {
    int N = B * T, inner = e->inner;
    float *q = e->qkv, *k = q + (size_t)inner * N, *v = k + (size_t)inner * N;
    seg_layer_norm(x, dim, N, w->norm1.w, w->norm1.b, ln);
    seg_linear(ln, dim, N, w->qkv, NULL, 3 * inner, q);
    attention(e, q, k, v, B, T, mask, chunk);
    /* x += W_out att + b_out */
    for (int c = 0; c < dim; c++) {
        float *xr = x + (size_t)c * N;
        for (int n = 0; n < N; n++) xr[n] += w->out.b[c];
    }
    nn_gemm(false, false, dim, N, inner, 1.0f, w->out.w, inner, e->att, N, 1.0f, x, N);
    seg_layer_norm(x, dim, N, w->norm3.w, w->norm3.b, ln);
    int ff = dim * e->cfg.ff_mult;
    seg_linear(ln, dim, N, w->ff1.w, w->ff1.b, ff, e->ffb);
    par_act(nn_vgelu, e->ffb, (size_t)ff * N);
    for (int c = 0; c < dim; c++) {
        float *xr = x + (size_t)c * N;
        for (int n = 0; n < N; n++) xr[n] += w->ff2.b[c];
    }
    nn_gemm(false, false, dim, N, ff, 1.0f, w->ff2.w, ff, e->ffb, N, 1.0f, x, N);
}

/* resnet + transformers of one stage: input *px (din rows), result in *px
 * (dout rows). Buffers are swapped through the pool pointers. */
static void stage_body(flow_estimator *e, const stage_w *s, float **px, float **pa, float **pb,
                       int B, int T, const float *mask, int chunk) {
    resnet_forward(e, &s->res, *px, B, T, mask, *pa, *pb);
    float *t = *px;
    *px = *pa;
    *pa = t;
    for (int j = 0; j < e->cfg.n_blocks; j++)
        xformer_forward(e, &s->xf[j], *px, s->res.dout, B, T, mask, chunk, *pb);
}

static void time_embedding(flow_estimator *e, int B, const float *t) {
    int D = e->cfg.in_channels, half = D / 2;
    float *sin_emb = e->temb, *h1 = e->temb + (size_t)B * D;
    float step = (float)(log(10000.0) / (half - 1));
    for (int b = 0; b < B; b++) {
        float tt = 1000.0f * t[b];
        for (int i = 0; i < half; i++) {
            float f = expf((float)i * -step);
            float a = tt * f;
            sin_emb[(size_t)b * D + i] = sinf(a);
            sin_emb[(size_t)b * D + half + i] = cosf(a);
        }
    }
    /* linear_1 -> SiLU -> linear_2, then Mish once for every resnet's mlp */
    for (int b = 0; b < B; b++) {
        float *o1 = h1 + (size_t)b * e->ted;
        memcpy(o1, e->t1.b, (size_t)e->ted * sizeof(float));
        nn_gemm(false, false, e->ted, 1, D, 1.0f, e->t1.w, D, sin_emb + (size_t)b * D, 1, 1.0f,
                o1, 1);
        nn_silu(o1, o1, (size_t)e->ted);
        float *o2 = e->temb_act + (size_t)b * e->ted;
        memcpy(o2, e->t2.b, (size_t)e->ted * sizeof(float));
        nn_gemm(false, false, e->ted, 1, e->ted, 1.0f, e->t2.w, e->ted, o1, 1, 1.0f, o2, 1);
        nn_mish(o2, o2, (size_t)e->ted);
    }
}

cv_status flow_estimator_forward(flow_estimator *e, int B, int T, const float *x,
                                 const float *mu, const float *t, const float *spks,
                                 const float *cond, const float *mask, float *out) {
    return flow_estimator_forward_ex(e, B, T, x, mu, t, spks, cond, mask, false, out);
}

static cv_status field_forward(void *net, int B, int T, const float *x, const float *mu,
                               const float *t, const float *spks, const float *cond,
                               const float *mask, bool streaming, float *out) {
    return flow_estimator_forward_ex(net, B, T, x, mu, t, spks, cond, mask, streaming, out);
}

flow_vector_field flow_estimator_field(flow_estimator *e) {
    return (flow_vector_field){field_forward, e};
}

cv_status flow_estimator_forward_ex(flow_estimator *e, int B, int T, const float *x,
                                    const float *mu, const float *t, const float *spks,
                                    const float *cond, const float *mask, bool streaming,
                                    float *out) {
    const flow_est_config *c = &e->cfg;
    /* the reference's CausalConditionalDecoder uses the same chunk size at
     * every resolution level */
    const int chunk = streaming ? c->static_chunk_size : 0;
    int M = c->out_channels, ns = c->n_stages;
    if (B < 1 || T < 1 || c->in_channels != 4 * M)
        return cv_error(CV_INVALID_ARGUMENT, "flow estimator: bad input sizes");
    if (!ensure_scratch(e, B, T)) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    time_embedding(e, B, t);

    /* mask of every level: level i+1 keeps every other frame of level i */
    int Tl[FLOW_EST_MAX_STAGES + 1];
    const float *ml[FLOW_EST_MAX_STAGES + 1];
    Tl[0] = T;
    ml[0] = mask;
    float *mnext = e->masks;
    for (int i = 0; i + 1 < ns; i++) {
        Tl[i + 1] = (Tl[i] + 1) / 2;
        ml[i + 1] = NULL;
        if (mask) {
            for (int b = 0; b < B; b++)
                for (int tt = 0; tt < Tl[i + 1]; tt++)
                    mnext[(size_t)b * Tl[i + 1] + tt] = ml[i][(size_t)b * Tl[i] + 2 * (size_t)tt];
            ml[i + 1] = mnext;
            mnext += (size_t)B * Tl[i + 1];
        }
    }

    /* input: rows [x; mu; spks repeated; cond] */
    size_t N = (size_t)B * T;
    float *px = e->buf[0], *pa = e->buf[1], *pb = e->buf[2], *pc = e->buf[3];
    memcpy(px, x, (size_t)M * N * sizeof(float));
    memcpy(px + (size_t)M * N, mu, (size_t)M * N * sizeof(float));
    for (int ch = 0; ch < M; ch++)
        for (int b = 0; b < B; b++) {
            float *r = px + (size_t)(2 * M + ch) * N + (size_t)b * T;
            for (int tt = 0; tt < T; tt++) r[tt] = spks[(size_t)b * M + ch];
        }
    memcpy(px + (size_t)3 * M * N, cond, (size_t)M * N * sizeof(float));

    for (int i = 0; i < ns; i++) {
        const stage_w *s = &e->down[i];
        int Ti = Tl[i], d = s->res.dout;
        stage_body(e, s, &px, &pa, &pb, B, Ti, ml[i], chunk);
        memcpy(e->skip[i], px, (size_t)d * B * Ti * sizeof(float));
        seg_mul_mask(px, d, B * Ti, ml[i]);
        if (s->tail == TAIL_DOWN)
            seg_conv1d(px, d, B, Ti, s->tail_w.w, s->tail_w.b, d, 3, 2, 1, pa, e->work, 0);
        else
            conv3(e, px, d, B, Ti, s->tail_w, d, pa);
        float *tmp = px;
        px = pa;
        pa = tmp;
    }
    int Tc = Tl[ns - 1];
    const float *mc = ml[ns - 1];
    for (int i = 0; i < c->num_mid_blocks; i++)
        stage_body(e, &e->mid[i], &px, &pa, &pb, B, Tc, mc, chunk);
    int cx = c->channels[ns - 1];
    for (int i = 0; i < ns; i++) {
        const stage_w *s = &e->up[i];
        int lvl = ns - 1 - i, Ts = Tl[lvl], cs = c->channels[lvl], d = s->res.dout;
        /* rows [x truncated to the skip's length; skip] */
        for (int ch = 0; ch < cx; ch++)
            for (int b = 0; b < B; b++)
                memcpy(pc + (size_t)ch * B * Ts + (size_t)b * Ts,
                       px + (size_t)ch * B * Tc + (size_t)b * Tc, (size_t)Ts * sizeof(float));
        memcpy(pc + (size_t)cx * B * Ts, e->skip[lvl], (size_t)cs * B * Ts * sizeof(float));
        float *tmp = px;
        px = pc;
        pc = tmp;
        stage_body(e, s, &px, &pa, &pb, B, Ts, ml[lvl], chunk);
        seg_mul_mask(px, d, B * Ts, ml[lvl]);
        if (s->tail == TAIL_UP) {
            seg_conv_transpose1d(px, d, B, Ts, s->tail_w.w, s->tail_w.b, d, 4, 2, 1, pa, e->work);
            Tc = 2 * Ts;
        } else {
            conv3(e, px, d, B, Ts, s->tail_w, d, pa);
            Tc = Ts;
        }
        tmp = px;
        px = pa;
        pa = tmp;
        cx = d;
    }
    /* final block and projection at full resolution */
    seg_mul_mask(px, cx, (int)N, mask);
    block1d(e, px, cx, cx, B, T, e->final_conv, e->final_gn, mask, pa);
    seg_mul_mask(pa, cx, (int)N, mask);
    seg_conv1d(pa, cx, B, T, e->final_proj.w, e->final_proj.b, M, 1, 1, 0, out, NULL, 0);
    seg_mul_mask(out, M, (int)N, mask);
    return cv_ok();
}

void flow_estimator_set_attention_rows(flow_estimator *e, int rows) {
    e->att_rows = rows > 0 ? rows : 0;
}

double flow_estimator_flops(const flow_est_config *c, int B, int T) {
    double f = 0.0;
    int inner = c->num_heads * c->head_dim, ns = c->n_stages;
    int Tl[FLOW_EST_MAX_STAGES];
    Tl[0] = T;
    for (int i = 0; i + 1 < ns; i++) Tl[i + 1] = (Tl[i] + 1) / 2;
#define RESNET(din, dout, t) (2.0 * B * (t) * ((double)(dout) * (din) * 4 + (double)(dout) * (dout) * 3))
#define XF(d, t) (2.0 * B * (t) * ((double)(d) * inner * 4 + 2.0 * (d) * (d) * c->ff_mult) + \
                  4.0 * B * (double)(t) * (t) * inner)
    int cin = c->in_channels;
    for (int i = 0; i < ns; i++) {
        int d = c->channels[i];
        f += RESNET(cin, d, Tl[i]) + c->n_blocks * XF(d, Tl[i]);
        f += 2.0 * B * (i < ns - 1 ? (Tl[i] + 1) / 2 : Tl[i]) * (double)d * d * 3;
        cin = d;
    }
    f += c->num_mid_blocks * (RESNET(cin, cin, Tl[ns - 1]) + c->n_blocks * XF(cin, Tl[ns - 1]));
    for (int i = 0; i < ns; i++) {
        int lvl = ns - 1 - i;
        int d = lvl > 0 ? c->channels[lvl - 1] : c->channels[0];
        f += RESNET(cin + c->channels[lvl], d, Tl[lvl]) + c->n_blocks * XF(d, Tl[lvl]);
        f += 2.0 * B * Tl[lvl] * (double)d * d * (i < ns - 1 ? 4 : 3);
        cin = d;
    }
    f += 2.0 * B * T * ((double)cin * cin * 3 + (double)c->out_channels * cin);
#undef RESNET
#undef XF
    return f;
}
