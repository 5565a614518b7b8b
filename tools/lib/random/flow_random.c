/* Enumerates the flow's parameter names and shapes (MaskedDiffWithXvec with
 * an InterpolateRegulator and a ConditionalDecoder) with random values. */
#include "random/flow_random.h"

#include <math.h>
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

static cv_status resnet(pt_dict *d, const char *p, int din, int dout, int ted, rw_rng *rng) {
    TRY(rw_add_linear(d, p, "mlp.1", ted, dout, true, rng));
    TRY(conv(d, p, "block1.block.0", dout, din, 3, rng));
    TRY(rw_add_norm(d, p, "block1.block.1", dout, rng));
    TRY(conv(d, p, "block2.block.0", dout, dout, 3, rng));
    TRY(rw_add_norm(d, p, "block2.block.1", dout, rng));
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
    TRY(resnet(d, p, din, dout, ted, rng));
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

    const flow_est_config *c = &cfg->est;
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
    TRY(rw_add_norm(d, "decoder.estimator.", "final_block.block.1", cin, rng));
    return conv(d, "decoder.estimator.", "final_proj", c->out_channels, cin, 1, rng);
}
