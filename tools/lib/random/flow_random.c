/* Enumerates the flow's parameter names and shapes (MaskedDiffWithXvec with
 * an InterpolateRegulator and a ConditionalDecoder) with random values. */
#include "random/flow_random.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#define TRY(x)                       \
    do {                             \
        cv_status s_ = (x);          \
        if (!cv_is_ok(&s_)) return s_; \
    } while (0)

static cv_status conv(pt_dict *d, const char *p, const char *name, int cout, int cin, int k,
                      rw_rng *rng) {
    char n[256];
    float amp = 1.0f / sqrtf((float)(cin * k));
    snprintf(n, sizeof n, "%s.weight", name);
    TRY(rw_add(d, p, n, 3, (int64_t[]){cout, cin, k}, 0.0f, amp, rng));
    snprintf(n, sizeof n, "%s.bias", name);
    return rw_add(d, p, n, 1, (int64_t[]){cout}, 0.0f, amp, rng);
}

/* Block1D's norm is item 1 (GroupNorm), CausalBlock1D's item 2 (LayerNorm). */
static cv_status resnet(pt_dict *d, const char *p, int din, int dout, int ted, bool causal,
                        rw_rng *rng) {
    TRY(rw_add_linear(d, p, "mlp.1", ted, dout, true, rng));
    TRY(conv(d, p, "block1.block.0", dout, din, 3, rng));
    TRY(rw_add_norm(d, p, causal ? "block1.block.2" : "block1.block.1", dout, rng));
    TRY(conv(d, p, "block2.block.0", dout, dout, 3, rng));
    TRY(rw_add_norm(d, p, causal ? "block2.block.2" : "block2.block.1", dout, rng));
    return conv(d, p, "res_conv", dout, din, 1, rng);
}

static cv_status xformer(pt_dict *d, const char *p, int dim, const flow_est_config *c,
                         rw_rng *rng) {
    int inner = c->num_heads * c->head_dim, ff = dim * c->ff_mult;
    TRY(rw_add_norm(d, p, "norm1", dim, rng));
    TRY(rw_add_linear(d, p, "attn1.to_q", dim, inner, false, rng));
    TRY(rw_add_linear(d, p, "attn1.to_k", dim, inner, false, rng));
    TRY(rw_add_linear(d, p, "attn1.to_v", dim, inner, false, rng));
    TRY(rw_add_linear(d, p, "attn1.to_out.0", inner, dim, true, rng));
    TRY(rw_add_norm(d, p, "norm3", dim, rng));
    TRY(rw_add_linear(d, p, "ff.net.0.proj", dim, ff, true, rng));
    return rw_add_linear(d, p, "ff.net.2", ff, dim, true, rng);
}

static cv_status stage(pt_dict *d, const char *kind, int i, int din, int dout, int ted,
                       const flow_est_config *c, const char *tail, int tail_k, rw_rng *rng) {
    char p[256];
    snprintf(p, sizeof p, "decoder.estimator.%s.%d.0.", kind, i);
    TRY(resnet(d, p, din, dout, ted, c->causal, rng));
    for (int j = 0; j < c->n_blocks; j++) {
        snprintf(p, sizeof p, "decoder.estimator.%s.%d.1.%d.", kind, i, j);
        TRY(xformer(d, p, dout, c, rng));
    }
    if (!tail) return cv_ok();
    snprintf(p, sizeof p, "decoder.estimator.%s.%d.", kind, i);
    return conv(d, p, tail, dout, dout, tail_k, rng);
}

cv_status random_flow_weights(pt_dict *d, const flow_config *cfg, rw_rng *rng) {
    int D = cfg->output_size;
    TRY(rw_add(d, "", "input_embedding.weight", 2, (int64_t[]){cfg->vocab_size, cfg->input_size},
               0.0f, 1.0f, rng));
    TRY(rw_add_linear(d, "", "spk_embed_affine_layer", cfg->spk_embed_dim, D, true, rng));
    TRY(rw_add_rel_encoder(d, "encoder.", &cfg->encoder, rng));
    TRY(rw_add_linear(d, "", "encoder_proj", cfg->encoder.output_size, D, true, rng));
    char n[64];
    for (int i = 0; i < cfg->lr_n_convs; i++) {
        snprintf(n, sizeof n, "model.%d", 3 * i);
        TRY(conv(d, "length_regulator.", n, D, D, 3, rng));
        snprintf(n, sizeof n, "model.%d", 3 * i + 1);
        TRY(rw_add_norm(d, "length_regulator.", n, D, rng));
    }
    snprintf(n, sizeof n, "model.%d", 3 * cfg->lr_n_convs);
    TRY(conv(d, "length_regulator.", n, D, D, 1, rng));

    return random_estimator_weights(d, "decoder.estimator.", &cfg->est, rng);
}

cv_status random_estimator_weights(pt_dict *d, const char *prefix, const flow_est_config *c,
                                   rw_rng *rng) {
    (void)prefix; /* the stage helpers name decoder.estimator. themselves */
    int ted = c->channels[0] * 4, ns = c->n_stages;
    TRY(rw_add_linear(d, "decoder.estimator.", "time_mlp.linear_1", c->in_channels, ted, true, rng));
    TRY(rw_add_linear(d, "decoder.estimator.", "time_mlp.linear_2", ted, ted, true, rng));
    int cin = c->in_channels;
    for (int i = 0; i < ns; i++) {
        int last = i == ns - 1;
        TRY(stage(d, "down_blocks", i, cin, c->channels[i], ted, c, last ? "2" : "2.conv", 3, rng));
        cin = c->channels[i];
    }
    for (int i = 0; i < c->num_mid_blocks; i++)
        TRY(stage(d, "mid_blocks", i, cin, cin, ted, c, NULL, 0, rng));
    for (int i = 0; i < ns; i++) {
        int lvl = ns - 1 - i, last = i == ns - 1;
        int dout = lvl > 0 ? c->channels[lvl - 1] : c->channels[0];
        TRY(stage(d, "up_blocks", i, cin + c->channels[lvl], dout, ted, c, last ? "2" : "2.conv",
                  last ? 3 : 4, rng));
        cin = dout;
    }
    TRY(conv(d, "decoder.estimator.", "final_block.block.0", cin, cin, 3, rng));
    TRY(rw_add_norm(d, "decoder.estimator.",
                    c->causal ? "final_block.block.2" : "final_block.block.1", cin, rng));
    return conv(d, "decoder.estimator.", "final_proj", c->out_channels, cin, 1, rng);
}

/* The speaker projection and token table every flow has. */
static cv_status common(pt_dict *d, const causal_flow_config *f, rw_rng *rng) {
    TRY(rw_add(d, "", "input_embedding.weight", 2, (int64_t[]){f->vocab_size, f->input_size},
               0.0f, 1.0f, rng));
    return rw_add_linear(d, "", "spk_embed_affine_layer", f->spk_embed_dim, f->output_size, true,
                         rng);
}

static cv_status pre_lookahead(pt_dict *d, const char *p, int in, int ch, int len, rw_rng *rng) {
    TRY(conv(d, p, "conv1", ch, in, len + 1, rng));
    return conv(d, p, "conv2", in, ch, 3, rng);
}

cv_status random_flow2_weights(pt_dict *d, const flow2_config *cfg, rw_rng *rng) {
    const upsample_encoder_config *e = &cfg->encoder;
    int w = e->blocks.output_size;
    TRY(common(d, &cfg->flow, rng));
    TRY(rw_add_rel_encoder(d, "encoder.", &e->blocks, rng));
    rel_encoder_config up = e->up_blocks;
    up.input_size = w; /* the upsampling conv keeps the width */
    TRY(rw_add_rel_encoder(d, "encoder.", &up, rng));
    TRY(pre_lookahead(d, "encoder.pre_lookahead_layer.", w, w, e->pre_lookahead_len, rng));
    TRY(conv(d, "encoder.up_layer.", "conv", w, w, 2 * e->stride + 1, rng));
    TRY(rw_add_linear(d, "", "encoder_proj", w, cfg->flow.output_size, true, rng));
    return random_estimator_weights(d, "decoder.estimator.", &cfg->est, rng);
}

cv_status random_flow3_weights(pt_dict *d, const flow3_config *cfg, rw_rng *rng) {
    const dit_config *c = &cfg->dit;
    const char *p = "decoder.estimator.";
    int D = c->dim, I = c->heads * c->dim_head, in = 2 * c->mel_dim + c->mu_dim + c->spk_dim;
    TRY(common(d, &cfg->flow, rng));
    TRY(pre_lookahead(d, "pre_lookahead_layer.", cfg->flow.input_size,
                      cfg->pre_lookahead_channels, cfg->flow.pre_lookahead_len, rng));
    TRY(rw_add_linear(d, p, "time_embed.time_mlp.0", 256, D, true, rng));
    TRY(rw_add_linear(d, p, "time_embed.time_mlp.2", D, D, true, rng));
    TRY(rw_add_linear(d, p, "input_embed.proj", in, D, true, rng));
    TRY(conv(d, p, "input_embed.conv_pos_embed.conv1.0", D, D / 16, 31, rng));
    TRY(conv(d, p, "input_embed.conv_pos_embed.conv2.0", D, D / 16, 31, rng));
    /* RotaryEmbedding's buffer: 1 / 10000^(2i / dim_head) */
    TRY(rw_add(d, p, "rotary_embed.inv_freq", 1, (int64_t[]){c->dim_head / 2}, 0.0f, 0.0f, rng));
    float *f = d->items[d->count - 1].data;
    for (int i = 0; i < c->dim_head / 2; i++)
        f[i] = (float)(1.0 / pow(10000.0, 2.0 * i / c->dim_head));
    for (int b = 0; b < c->depth; b++) {
        char q[96];
        snprintf(q, sizeof q, "%stransformer_blocks.%d.", p, b);
        TRY(rw_add_linear(d, q, "attn_norm.linear", D, 6 * D, true, rng));
        TRY(rw_add_linear(d, q, "attn.to_q", D, I, true, rng));
        TRY(rw_add_linear(d, q, "attn.to_k", D, I, true, rng));
        TRY(rw_add_linear(d, q, "attn.to_v", D, I, true, rng));
        TRY(rw_add_linear(d, q, "attn.to_out.0", I, D, true, rng));
        TRY(rw_add_linear(d, q, "ff.ff.0.0", D, D * c->ff_mult, true, rng));
        TRY(rw_add_linear(d, q, "ff.ff.2", D * c->ff_mult, D, true, rng));
    }
    TRY(rw_add_linear(d, p, "norm_out.linear", D, 2 * D, true, rng));
    return rw_add_linear(d, p, "proj_out", D, c->mel_dim, true, rng);
}
