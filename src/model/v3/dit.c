/* CosyVoice3's DiT vector field; see dit.h. Activations are frame rows
 * [B*T][width] (item b's frames at rows b*T ..), as the Linear layers
 * want them; the sampler's channel-major layout is converted at the ends. */
#include "model/v3/dit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/blocks/flow_weights.h"
#include "nn/conv.h"
#include "nn/matmul.h"
#include "nn/ops.h"
#include "nn/vexp.h"

#define FREQ_DIM 256    /* TimestepEmbedding's sinusoid width */
#define POS_KERNEL 31   /* CausalConvPositionEmbedding */
#define POS_GROUPS 16

typedef struct lin {
    const float *w, *b;
    int in, out;
} lin;

typedef struct dit_block {
    lin ada;           /* attn_norm.linear: SiLU(t) -> 6 dim */
    lin q, k, v, o;
    lin ff1, ff2;
} dit_block;

struct dit {
    dit_config cfg;
    int inner, ff, in_w; /* heads * dim_head, dim * ff_mult, input projection width */
    lin t1, t2, proj, pos1, pos2, ada_out, out, skip;
    const float *inv_freq; /* [dim_head / 2] */
    dit_block *blocks;
};

cv_status dit_config_from_yaml(const yaml_config *y, dit_config *c)
{
    const char *tag = yaml_config_tag(y, "flow.decoder.estimator");
    if (!tag || strcmp(tag, "cosyvoice.flow.DiT.dit.DiT"))
        return cv_error(CV_UNIMPLEMENTED, "yaml: flow estimator %s is not supported (wanted a DiT)",
                        tag ? tag : "(none)");
#define E "flow.decoder.estimator."
    memset(c, 0, sizeof *c);
    c->dim = (int)yaml_config_int(y, E "dim", -1);
    c->depth = (int)yaml_config_int(y, E "depth", 8);
    c->heads = (int)yaml_config_int(y, E "heads", 8);
    c->dim_head = (int)yaml_config_int(y, E "dim_head", 64);
    c->ff_mult = (int)yaml_config_int(y, E "ff_mult", 4);
    c->mel_dim = (int)yaml_config_int(y, E "mel_dim", 80);
    c->mu_dim = (int)yaml_config_int(y, E "mu_dim", c->mel_dim);
    c->spk_dim = (int)yaml_config_int(y, E "spk_dim", 0);
    c->out_channels = (int)yaml_config_int(y, E "out_channels", c->mel_dim);
    c->static_chunk_size = (int)yaml_config_int(y, E "static_chunk_size", 50);
    c->long_skip = yaml_config_bool(y, E "long_skip_connection", false);
#undef E
    if (c->dim < 1 || c->depth < 1 || c->heads < 1 || c->dim_head < 2 || c->dim_head % 2 ||
        c->ff_mult < 1 || c->mel_dim < 1 || c->mu_dim < 1 || c->spk_dim < 0 ||
        c->static_chunk_size < 0 || c->dim % POS_GROUPS)
        return cv_error(CV_INVALID_ARGUMENT, "yaml: bad DiT sizes");
    if (c->out_channels != c->mel_dim)
        return cv_error(CV_INVALID_ARGUMENT, "yaml: DiT out_channels must equal mel_dim");
    return cv_ok();
}

static bool bind_lin(const pt_dict *sd, const char *p, const char *name, int in, int out,
                     bool bias, lin *l)
{
    char w[160], b[160];
    snprintf(w, sizeof w, "%s.weight", name);
    snprintf(b, sizeof b, "%s.bias", name);
    l->in = in;
    l->out = out;
    l->w = flow_w(sd, p, w, out, in, 0);
    l->b = bias ? flow_w(sd, p, b, out, 0, 0) : NULL;
    return l->w && (!bias || l->b);
}

static bool bind_conv(const pt_dict *sd, const char *p, const char *name, int ch, lin *l)
{
    char w[160], b[160];
    snprintf(w, sizeof w, "%s.weight", name);
    snprintf(b, sizeof b, "%s.bias", name);
    l->in = l->out = ch;
    l->w = flow_w(sd, p, w, ch, ch / POS_GROUPS, POS_KERNEL);
    l->b = flow_w(sd, p, b, ch, 0, 0);
    return l->w && l->b;
}

cv_status dit_load(const pt_dict *sd, const char *p, const dit_config *c, dit **out)
{
    *out = NULL;
    dit *d = calloc(1, sizeof *d);
    if (!d) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    d->cfg = *c;
    d->inner = c->heads * c->dim_head;
    d->ff = c->dim * c->ff_mult;
    d->in_w = 2 * c->mel_dim + c->mu_dim + c->spk_dim;
    d->blocks = calloc((size_t)c->depth, sizeof *d->blocks);
    bool ok = d->blocks;
    ok = ok && bind_lin(sd, p, "time_embed.time_mlp.0", FREQ_DIM, c->dim, true, &d->t1);
    ok = ok && bind_lin(sd, p, "time_embed.time_mlp.2", c->dim, c->dim, true, &d->t2);
    ok = ok && bind_lin(sd, p, "input_embed.proj", d->in_w, c->dim, true, &d->proj);
    ok = ok && bind_conv(sd, p, "input_embed.conv_pos_embed.conv1.0", c->dim, &d->pos1);
    ok = ok && bind_conv(sd, p, "input_embed.conv_pos_embed.conv2.0", c->dim, &d->pos2);
    ok = ok && bind_lin(sd, p, "norm_out.linear", c->dim, 2 * c->dim, true, &d->ada_out);
    ok = ok && bind_lin(sd, p, "proj_out", c->dim, c->mel_dim, true, &d->out);
    ok = ok && (!c->long_skip ||
                bind_lin(sd, p, "long_skip_connection", 2 * c->dim, c->dim, false, &d->skip));
    ok = ok && (d->inv_freq = flow_w(sd, p, "rotary_embed.inv_freq", c->dim_head / 2, 0, 0));
    for (int i = 0; ok && i < c->depth; i++) {
        char b[160];
        snprintf(b, sizeof b, "%stransformer_blocks.%d.", p, i);
        dit_block *k = &d->blocks[i];
        ok = bind_lin(sd, b, "attn_norm.linear", c->dim, 6 * c->dim, true, &k->ada) &&
             bind_lin(sd, b, "attn.to_q", c->dim, d->inner, true, &k->q) &&
             bind_lin(sd, b, "attn.to_k", c->dim, d->inner, true, &k->k) &&
             bind_lin(sd, b, "attn.to_v", c->dim, d->inner, true, &k->v) &&
             bind_lin(sd, b, "attn.to_out.0", d->inner, c->dim, true, &k->o) &&
             bind_lin(sd, b, "ff.ff.0.0", c->dim, d->ff, true, &k->ff1) &&
             bind_lin(sd, b, "ff.ff.2", d->ff, c->dim, true, &k->ff2);
    }
    if (!ok) {
        dit_free(d);
        return cv_error(CV_INVALID_ARGUMENT, "flow.pt: DiT weights missing or mis-shaped");
    }
    *out = d;
    return cv_ok();
}

void dit_free(dit *d)
{
    if (!d) return;
    free(d->blocks);
    free(d);
}

static void apply(const lin *l, const float *x, int n, float *y)
{
    nn_linear(x, n, l->in, l->w, l->b, l->out, y);
}

/* TimestepEmbedding: MLP(sin/cos(1000 t * 10000^(-i/(half-1)))) -> temb [B][dim] */
static void time_embedding(const dit *d, int B, const float *t, float *temb, float *h)
{
    const int half = FREQ_DIM / 2, D = d->cfg.dim;
    float sinus[FREQ_DIM];
    float step = (float)(log(10000.0) / (half - 1));
    for (int b = 0; b < B; b++) {
        float tt = 1000.0f * t[b];
        for (int i = 0; i < half; i++) {
            float a = tt * expf((float)i * -step);
            sinus[i] = sinf(a);
            sinus[half + i] = cosf(a);
        }
        apply(&d->t1, sinus, 1, h);
        nn_silu(h, h, (size_t)D);
        apply(&d->t2, h, 1, temb + (size_t)b * D);
    }
}

/* y rows = LayerNorm(x rows) (no affine, eps 1e-6) * (1 + scale_b) + shift_b
 * for item b's T rows. */
static void modulate(const float *x, int B, int T, int D, const float *shift, const float *scale,
                     size_t mod_stride, float *y)
{
    nn_layer_norm(x, y, B * T, D, NULL, NULL, 1e-6f);
    for (int b = 0; b < B; b++) {
        const float *sh = shift + (size_t)b * mod_stride, *sc = scale + (size_t)b * mod_stride;
        for (int t = 0; t < T; t++) {
            float *r = y + ((size_t)b * T + t) * D;
            for (int j = 0; j < D; j++) r[j] = r[j] * (1.0f + sc[j]) + sh[j];
        }
    }
}

/* x rows += gate_b * y rows */
static void gated_add(float *x, const float *y, int B, int T, int D, const float *gate,
                      size_t mod_stride)
{
    for (int b = 0; b < B; b++) {
        const float *g = gate + (size_t)b * mod_stride;
        for (int t = 0; t < T; t++) {
            float *r = x + ((size_t)b * T + t) * D;
            const float *a = y + ((size_t)b * T + t) * D;
            for (int j = 0; j < D; j++) r[j] += g[j] * a[j];
        }
    }
}

/* CausalConvPositionEmbedding, added in place: h += Mish(conv2(Mish(conv1(h)))),
 * both grouped convolutions padded by kernel - 1 on the left. */
static bool conv_position(const dit *d, float *h, int B, int T, float *a, float *b)
{
    const int D = d->cfg.dim;
    nn_conv1d_params p = {.cin = D, .cout = D, .kernel = POS_KERNEL, .stride = 1, .dilation = 1,
                          .pad_left = POS_KERNEL - 1, .groups = POS_GROUPS};
    for (int i = 0; i < B; i++) {
        float *rows = h + (size_t)i * T * D;
        nn_transpose(rows, T, D, a); /* [D][T] */
        if (!nn_conv1d(&p, a, T, d->pos1.w, d->pos1.b, b)) return false;
        nn_mish(b, b, (size_t)D * T);
        if (!nn_conv1d(&p, b, T, d->pos2.w, d->pos2.b, a)) return false;
        nn_mish(a, a, (size_t)D * T);
        nn_transpose(a, D, T, b);
        nn_add(rows, b, (size_t)T * D);
    }
    return true;
}

/* x_transformers' apply_rotary_pos_emb on the full-width rows [T][inner]:
 * the first dim_head channels, pairs (2i, 2i+1), angle t * inv_freq[i]. */
static void rotary(const dit *d, float *x, int B, int T, int ld)
{
    const int half = d->cfg.dim_head / 2;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *r = x + ((size_t)b * T + t) * ld;
            for (int i = 0; i < half; i++) {
                float a = (float)t * d->inv_freq[i], c = cosf(a), s = sinf(a);
                float x0 = r[2 * i], x1 = r[2 * i + 1];
                r[2 * i] = x0 * c + -x1 * s;
                r[2 * i + 1] = x1 * c + x0 * s;
            }
        }
}

typedef struct dit_bufs {
    float *h, *n, *q, *k, *v, *att, *ffb, *tmp, *temb, *mod;
} dit_bufs;

static void bufs_free(dit_bufs *b)
{
    free(b->h), free(b->n), free(b->q), free(b->k), free(b->v), free(b->att), free(b->ffb);
    free(b->tmp), free(b->temb), free(b->mod);
}

static bool bufs_alloc(const dit *d, int B, int T, dit_bufs *b)
{
    const size_t N = (size_t)B * T, D = (size_t)d->cfg.dim;
    size_t wide = (size_t)d->ff > (size_t)d->in_w ? (size_t)d->ff : (size_t)d->in_w;
    if ((size_t)d->inner > wide) wide = d->inner;
    b->h = malloc(sizeof(float) * N * D);
    b->n = malloc(sizeof(float) * N * (wide > D ? wide : D));
    b->q = malloc(sizeof(float) * N * d->inner);
    b->k = malloc(sizeof(float) * N * d->inner);
    b->v = malloc(sizeof(float) * N * d->inner);
    b->att = malloc(sizeof(float) * N * d->inner);
    b->ffb = malloc(sizeof(float) * N * wide);
    b->tmp = malloc(sizeof(float) * N * (D > (size_t)d->cfg.mel_dim ? D : (size_t)d->cfg.mel_dim));
    b->temb = malloc(sizeof(float) * B * D * 2);
    b->mod = malloc(sizeof(float) * B * D * 6);
    return b->h && b->n && b->q && b->k && b->v && b->att && b->ffb && b->tmp &&
           b->temb && b->mod;
}

/* One DiTBlock in place on b->h. */
static bool block_forward(const dit *d, const dit_block *k, int B, int T, bool masked,
                          dit_bufs *b)
{
    const int D = d->cfg.dim, N = B * T, I = d->inner, H = d->cfg.heads, Dh = d->cfg.dim_head;
    float *silu_t = b->temb + (size_t)B * D;
    /* shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp */
    apply(&k->ada, silu_t, B, b->mod);
    const size_t ms = (size_t)6 * D;
    modulate(b->h, B, T, D, b->mod, b->mod + D, ms, b->n);
    apply(&k->q, b->n, N, b->q);
    apply(&k->k, b->n, N, b->k);
    apply(&k->v, b->n, N, b->v);
    rotary(d, b->q, B, T, I);
    rotary(d, b->k, B, T, I);
    /* with the chunk mask, the queries of chunk c attend to the keys of
     * chunks 0..c: the masked keys would get weight 0 */
    const int C = masked ? d->cfg.static_chunk_size : T;
    for (int i = 0; i < B; i++)
        for (int q0 = 0; q0 < T; q0 += C) {
            int nq = T - q0 < C ? T - q0 : C, nk = q0 + nq;
            size_t o = (size_t)i * T * I, qo = o + (size_t)q0 * I;
            if (!nn_attention(b->q + qo, I, b->k + o, I, b->v + o, I, nq, nk, H, Dh,
                              1.0f / sqrtf((float)Dh), NULL, 0, b->att + qo))
                return false;
        }
    apply(&k->o, b->att, N, b->tmp);
    gated_add(b->h, b->tmp, B, T, D, b->mod + 2 * D, ms);
    modulate(b->h, B, T, D, b->mod + 3 * D, b->mod + 4 * D, ms, b->n);
    apply(&k->ff1, b->n, N, b->ffb);
    nn_vgelu_tanh(b->ffb, b->ffb, (size_t)N * d->ff);
    apply(&k->ff2, b->ffb, N, b->tmp);
    gated_add(b->h, b->tmp, B, T, D, b->mod + 5 * D, ms);
    return true;
}

cv_status dit_forward(const dit *d, int B, int T, const float *x, const float *mu,
                      const float *t, const float *spks, const float *cond, const float *mask,
                      bool streaming, float *out)
{
    const dit_config *c = &d->cfg;
    const int D = c->dim, M = c->mel_dim, N = B * T;
    if (B < 1 || T < 1 || c->mu_dim != M || (c->spk_dim != 0 && c->spk_dim != M))
        return cv_error(CV_INVALID_ARGUMENT, "DiT: bad input sizes");
    if (mask) /* every caller passes all ones; padding would need the row zeroing too */
        for (int i = 0; i < N; i++)
            if (mask[i] == 0.0f) return cv_error(CV_UNIMPLEMENTED, "DiT: padded batches");
    dit_bufs b = {0};
    if (!bufs_alloc(d, B, T, &b)) {
        bufs_free(&b);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    /* rows [x, cond, mu, spks] from the channel-major inputs */
    for (int n = 0; n < N; n++) {
        float *r = b.ffb + (size_t)n * d->in_w;
        for (int ch = 0; ch < M; ch++) {
            size_t at = (size_t)ch * N + n;
            r[ch] = x[at];
            r[M + ch] = cond[at];
            r[2 * M + ch] = mu[at];
        }
        for (int ch = 0; ch < c->spk_dim; ch++) r[3 * M + ch] = spks[(size_t)(n / T) * M + ch];
    }
    apply(&d->proj, b.ffb, N, b.h);
    bool ok = conv_position(d, b.h, B, T, b.n, b.tmp);
    time_embedding(d, B, t, b.temb, b.mod);
    nn_silu(b.temb, b.temb + (size_t)B * D, (size_t)B * D); /* SiLU(t) for every modulation */
    /* the chunk mask: frame i sees frames < (i / chunk + 1) * chunk */
    bool masked = streaming && c->static_chunk_size > 0;
    float *skip = NULL;
    if (ok && c->long_skip && !(skip = malloc(sizeof(float) * N * D))) ok = false;
    if (skip) memcpy(skip, b.h, sizeof(float) * N * D);
    for (int i = 0; ok && i < c->depth; i++) ok = block_forward(d, &d->blocks[i], B, T, masked, &b);
    if (ok && skip) { /* Linear([x, residual]) */
        for (int n = 0; n < N; n++) {
            memcpy(b.ffb + (size_t)n * 2 * D, b.h + (size_t)n * D, sizeof(float) * D);
            memcpy(b.ffb + (size_t)n * 2 * D + D, skip + (size_t)n * D, sizeof(float) * D);
        }
        apply(&d->skip, b.ffb, N, b.h);
    }
    free(skip);
    if (ok) { /* AdaLayerNormZero_Final: scale, then shift */
        apply(&d->ada_out, b.temb + (size_t)B * D, B, b.mod);
        modulate(b.h, B, T, D, b.mod + D, b.mod, (size_t)2 * D, b.n);
        apply(&d->out, b.n, N, b.tmp);
        nn_transpose(b.tmp, N, M, out); /* rows -> [M][B*T] */
    }
    bufs_free(&b);
    return ok ? cv_ok() : cv_error(CV_RESOURCE_EXHAUSTED, "DiT: out of memory");
}

static cv_status field_forward(void *net, int B, int T, const float *x, const float *mu,
                               const float *t, const float *spks, const float *cond,
                               const float *mask, bool streaming, float *out)
{
    return dit_forward(net, B, T, x, mu, t, spks, cond, mask, streaming, out);
}

flow_vector_field dit_field(dit *d) { return (flow_vector_field){field_forward, d}; }

double dit_flops(const dit_config *c, int B, int T)
{
    double N = (double)B * T, D = c->dim, I = (double)c->heads * c->dim_head;
    double in = 2.0 * c->mel_dim + c->mu_dim + c->spk_dim;
    double per_block = 4.0 * D * I + 2.0 * D * D * c->ff_mult;
    double f = N * (in * D + 2.0 * D * (D / POS_GROUPS) * POS_KERNEL + c->depth * per_block +
                    D * c->mel_dim);
    f += c->depth * 2.0 * B * (double)T * T * I; /* scores and weighted sums */
    return 2.0 * f;
}
