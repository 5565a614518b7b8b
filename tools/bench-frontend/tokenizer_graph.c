#include "tokenizer_graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "onnx/onnx_build.h"

static unsigned rng_state;

static float frand(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) & 0xffffff) / 8388608.0f - 1.0f;
}

/* random initializer, uniform in [-scale, scale] */
static void weight(oxb *b, const char *name, int ndim, const int64_t *dims, float scale)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)dims[i];
    float *w = malloc(sizeof(float) * n);
    if (!w) abort();
    for (size_t i = 0; i < n; i++) w[i] = scale * frand();
    oxb_init_f(b, name, ndim, dims, w);
    free(w);
}

static void scalar(oxb *b, const char *name, float v)
{
    oxb_init_f(b, name, 0, NULL, &v);
}

/* y = x * 0.5 * (1 + erf(x / sqrt 2)), as PyTorch exports nn.GELU */
static void gelu(oxb *b, const char *x, const char *y, const char *tag)
{
    char d[64], e[64], a[64], m[64], in[160];
    snprintf(d, sizeof d, "%s_d", tag);
    snprintf(e, sizeof e, "%s_e", tag);
    snprintf(a, sizeof a, "%s_a", tag);
    snprintf(m, sizeof m, "%s_m", tag);
    snprintf(in, sizeof in, "%s,c_sqrt2", x);
    oxb_add(b, "Div", in, d);
    oxb_add(b, "Erf", d, e);
    snprintf(in, sizeof in, "%s,c_one", e);
    oxb_add(b, "Add", in, a);
    snprintf(in, sizeof in, "%s,%s", x, a);
    oxb_add(b, "Mul", in, m);
    snprintf(in, sizeof in, "%s,c_half", m);
    oxb_add(b, "Mul", in, y);
}

static void linear(oxb *b, const char *x, const char *w, const char *bias, const char *y)
{
    char in[320], t[96];
    snprintf(t, sizeof t, "%s_mm", y);
    snprintf(in, sizeof in, "%s,%s", x, w);
    oxb_add(b, "MatMul", in, bias ? t : y);
    if (bias) {
        snprintf(in, sizeof in, "%s,%s", t, bias);
        oxb_add(b, "Add", in, y);
    }
}

static void layer_norm(oxb *b, const char *x, const char *prefix, const char *y, int width)
{
    char g[96], be[96], in[256];
    int64_t dw[1] = {width};
    snprintf(g, sizeof g, "%s.weight", prefix);
    snprintf(be, sizeof be, "%s.bias", prefix);
    weight(b, g, 1, dw, 0.1f);
    weight(b, be, 1, dw, 0.1f);
    snprintf(in, sizeof in, "%s,%s,%s", x, g, be);
    oxb_node *n = oxb_add(b, "LayerNormalization", in, y);
    oxb_attr_i(b, n, "axis", -1);
    oxb_attr_f(b, n, "epsilon", 1e-5f);
}

int tokenizer_graph_write(const tokenizer_dims *d, unsigned seed, const char *path)
{
    rng_state = seed;
    const int W = d->width, H = d->heads, D = W / H;
    oxb *b = oxb_new(17);
    oxb_input(b, "feats");
    oxb_input(b, "feats_length");
    scalar(b, "c_sqrt2", (float)sqrt(2.0));
    scalar(b, "c_one", 1.0f);
    scalar(b, "c_half", 0.5f);
    scalar(b, "c_two", 2.0f);
    scalar(b, "c_scale", (float)(1.0 / sqrt((double)D)));

    /* conv stem */
    int64_t w1[3] = {W, d->n_mels, 3}, w2[3] = {W, W, 3}, bw[1] = {W};
    weight(b, "conv1.weight", 3, w1, 1.0f / sqrtf(3.0f * d->n_mels));
    weight(b, "conv1.bias", 1, bw, 0.01f);
    weight(b, "conv2.weight", 3, w2, 1.0f / sqrtf(3.0f * W));
    weight(b, "conv2.bias", 1, bw, 0.01f);
    int64_t pads[2] = {1, 1}, ks[1] = {3}, st2[1] = {2};
    oxb_node *n = oxb_add(b, "Conv", "feats,conv1.weight,conv1.bias", "c1");
    oxb_attr_ints(b, n, "pads", 2, pads);
    oxb_attr_ints(b, n, "kernel_shape", 1, ks);
    gelu(b, "c1", "g1", "gelu1");
    n = oxb_add(b, "Conv", "g1,conv2.weight,conv2.bias", "c2");
    oxb_attr_ints(b, n, "pads", 2, pads);
    oxb_attr_ints(b, n, "kernel_shape", 1, ks);
    oxb_attr_ints(b, n, "strides", 1, st2);
    gelu(b, "c2", "g2", "gelu2");
    int64_t perm021[3] = {0, 2, 1};
    n = oxb_add(b, "Transpose", "g2", "xt");
    oxb_attr_ints(b, n, "perm", 3, perm021);

    /* learned positions, sliced to the sequence length */
    int64_t pe[2] = {d->max_frames, W};
    weight(b, "positional_embedding", 2, pe, 0.02f);
    int64_t one[1] = {1}, zero[1] = {0};
    oxb_const_i64(b, "k_one", 1, one);
    oxb_const_i64(b, "k_zero", 1, zero);
    oxb_add(b, "Shape", "xt", "xs");
    n = oxb_add(b, "Gather", "xs,k_one", "n_frames");
    oxb_attr_i(b, n, "axis", 0);
    oxb_add(b, "Slice", "positional_embedding,k_zero,n_frames,k_zero", "pos");
    oxb_add(b, "Add", "xt,pos", "x0");

    int64_t heads_shape[4] = {1, -1, H, D}, merged[3] = {1, -1, W};
    oxb_const_i64(b, "k_heads", 4, heads_shape);
    oxb_const_i64(b, "k_merged", 3, merged);
    int64_t pq[4] = {0, 2, 1, 3}, pk[4] = {0, 2, 3, 1};
    char x[64] = "x0";
    for (int l = 0; l < d->layers; l++) {
        char p[64], nm[128], nm2[128], nm3[128], in[256];
#define NAME(buf, fmt) snprintf(buf, sizeof buf, "b%d_" fmt, l)
        snprintf(p, sizeof p, "blocks.%d", l);
        int64_t sq[2] = {W, W}, s1[2] = {W, 4 * W}, s2[2] = {4 * W, W}, b4[1] = {4 * W};
        const float ws = 1.0f / sqrtf((float)W);
        /* attention */
        snprintf(nm, sizeof nm, "%s.attn_ln", p);
        NAME(nm2, "h");
        layer_norm(b, x, nm, nm2, W);
        const char *proj[4] = {"query", "key", "value", "out"};
        for (int k = 0; k < 4; k++) {
            snprintf(nm, sizeof nm, "%s.attn.%s.weight", p, proj[k]);
            weight(b, nm, 2, sq, ws);
            if (k != 1) {
                snprintf(nm, sizeof nm, "%s.attn.%s.bias", p, proj[k]);
                weight(b, nm, 1, bw, 0.01f);
            }
        }
        char q[64], kk[64], v[64], w_[128], b_[128];
        NAME(q, "q");
        NAME(kk, "k");
        NAME(v, "v");
        snprintf(w_, sizeof w_, "%s.attn.query.weight", p);
        snprintf(b_, sizeof b_, "%s.attn.query.bias", p);
        linear(b, nm2, w_, b_, q);
        snprintf(w_, sizeof w_, "%s.attn.key.weight", p);
        linear(b, nm2, w_, NULL, kk);
        snprintf(w_, sizeof w_, "%s.attn.value.weight", p);
        snprintf(b_, sizeof b_, "%s.attn.value.bias", p);
        linear(b, nm2, w_, b_, v);
        /* [1,N,W] -> heads */
        char q4[64], k4[64], v4[64], qt[64], kt[64], vt[64], sc[64], scs[64], pr[64], ctx[64],
            ctxt[64], ctxm[64], ao[64], x1[64];
        NAME(q4, "q4");
        NAME(k4, "k4");
        NAME(v4, "v4");
        NAME(qt, "qt");
        NAME(kt, "kt");
        NAME(vt, "vt");
        snprintf(in, sizeof in, "%s,k_heads", q);
        oxb_add(b, "Reshape", in, q4);
        snprintf(in, sizeof in, "%s,k_heads", kk);
        oxb_add(b, "Reshape", in, k4);
        snprintf(in, sizeof in, "%s,k_heads", v);
        oxb_add(b, "Reshape", in, v4);
        n = oxb_add(b, "Transpose", q4, qt);
        oxb_attr_ints(b, n, "perm", 4, pq);
        n = oxb_add(b, "Transpose", k4, kt);
        oxb_attr_ints(b, n, "perm", 4, pk);
        n = oxb_add(b, "Transpose", v4, vt);
        oxb_attr_ints(b, n, "perm", 4, pq);
        NAME(sc, "scores");
        NAME(scs, "scaled");
        NAME(pr, "probs");
        snprintf(in, sizeof in, "%s,%s", qt, kt);
        oxb_add(b, "MatMul", in, sc);
        snprintf(in, sizeof in, "%s,c_scale", sc);
        oxb_add(b, "Mul", in, scs);
        n = oxb_add(b, "Softmax", scs, pr);
        oxb_attr_i(b, n, "axis", -1);
        NAME(ctx, "ctx");
        NAME(ctxt, "ctxt");
        NAME(ctxm, "ctxm");
        snprintf(in, sizeof in, "%s,%s", pr, vt);
        oxb_add(b, "MatMul", in, ctx);
        n = oxb_add(b, "Transpose", ctx, ctxt);
        oxb_attr_ints(b, n, "perm", 4, pq);
        snprintf(in, sizeof in, "%s,k_merged", ctxt);
        oxb_add(b, "Reshape", in, ctxm);
        NAME(ao, "attn_out");
        snprintf(w_, sizeof w_, "%s.attn.out.weight", p);
        snprintf(b_, sizeof b_, "%s.attn.out.bias", p);
        linear(b, ctxm, w_, b_, ao);
        NAME(x1, "x1");
        snprintf(in, sizeof in, "%s,%s", x, ao);
        oxb_add(b, "Add", in, x1);
        /* MLP */
        snprintf(nm, sizeof nm, "%s.mlp_ln", p);
        NAME(nm2, "h2");
        layer_norm(b, x1, nm, nm2, W);
        char m1[64], m1g[64], m2[64], x2[64];
        snprintf(w_, sizeof w_, "%s.mlp.0.weight", p);
        snprintf(b_, sizeof b_, "%s.mlp.0.bias", p);
        weight(b, w_, 2, s1, ws);
        weight(b, b_, 1, b4, 0.01f);
        NAME(m1, "m1");
        linear(b, nm2, w_, b_, m1);
        NAME(m1g, "m1g");
        NAME(nm3, "gelu");
        gelu(b, m1, m1g, nm3);
        snprintf(w_, sizeof w_, "%s.mlp.2.weight", p);
        snprintf(b_, sizeof b_, "%s.mlp.2.bias", p);
        weight(b, w_, 2, s2, 1.0f / sqrtf(4.0f * W));
        weight(b, b_, 1, bw, 0.01f);
        NAME(m2, "m2");
        linear(b, m1g, w_, b_, m2);
        NAME(x2, "x2");
        snprintf(in, sizeof in, "%s,%s", x1, m2);
        oxb_add(b, "Add", in, x2);
        snprintf(x, sizeof x, "%s", x2);
#undef NAME
    }
    layer_norm(b, x, "ln_post", "hidden", W);

    /* nearest codebook entry of the L2-normalised frame */
    int64_t last[1] = {-1};
    n = oxb_add(b, "ReduceL2", "hidden", "norm");
    oxb_attr_ints(b, n, "axes", 1, last);
    oxb_attr_i(b, n, "keepdims", 1);
    oxb_add(b, "Div", "hidden,norm", "unit");
    int64_t cb[2] = {W, d->codebook};
    weight(b, "codebook_t", 2, cb, 0.05f);
    oxb_const_i64(b, "k_last", 1, last);
    oxb_add(b, "Mul", "unit,unit", "sq");
    n = oxb_add(b, "ReduceSum", "sq,k_last", "xx");
    oxb_attr_i(b, n, "keepdims", 1);
    oxb_add(b, "Mul", "unit,c_two", "unit2");
    oxb_add(b, "MatMul", "unit2,codebook_t", "xc2");
    oxb_add(b, "Sub", "xx,xc2", "partial");
    oxb_add(b, "Mul", "codebook_t,codebook_t", "cbsq");
    n = oxb_add(b, "ReduceSum", "cbsq,k_zero", "cc");
    oxb_attr_i(b, n, "keepdims", 0);
    oxb_add(b, "Add", "partial,cc", "dist");
    oxb_add(b, "Neg", "dist", "negdist");
    n = oxb_add(b, "ArgMax", "negdist", "best");
    oxb_attr_i(b, n, "axis", -1);
    oxb_attr_i(b, n, "keepdims", 0);
    n = oxb_add(b, "Cast", "best", "indices");
    oxb_attr_i(b, n, "to", 6);
    /* (T - 1) / 2 + 1 frames after the stride-2 conv */
    int64_t k1[1] = {1}, k2[1] = {2};
    oxb_const_i64(b, "k_1", 1, k1);
    oxb_const_i64(b, "k_2", 1, k2);
    n = oxb_add(b, "Cast", "feats_length", "len64");
    oxb_attr_i(b, n, "to", 7);
    oxb_add(b, "Sub", "len64,k_1", "lm1");
    oxb_add(b, "Div", "lm1,k_2", "lh");
    oxb_add(b, "Add", "lh,k_1", "lo");
    n = oxb_add(b, "Cast", "lo", "indices_length");
    oxb_attr_i(b, n, "to", 6);
    oxb_output(b, "indices");
    oxb_output(b, "indices_length");
    int rc = oxb_save(b, path);
    oxb_free(b);
    return rc;
}
