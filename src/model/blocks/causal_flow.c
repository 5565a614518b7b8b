/* CausalMaskedDiffWithXvec / CausalMaskedDiffWithDiT inference; see
 * causal_flow.h. */
#include "model/blocks/causal_flow.h"

#include <stdlib.h>
#include <string.h>

#include "model/blocks/flow_common.h"
#include "model/blocks/flow_weights.h"
#include "model/blocks/flow_yaml.h"
#include "nn/ops.h"

struct causal_flow {
    causal_flow_config cfg;
    const float *embed;         /* [vocab][input_size] */
    const float *spk_w, *spk_b; /* [output][spk_dim] */
    causal_flow_encoder enc;
    flow_vector_field vf;
    void (*vf_destroy)(void *net);
    flow_noise_buffer noise;
    const pt_dict *registered; /* weights registered for bf16 (pt_weights_register) */
};

cv_status causal_flow_config_from_yaml(const yaml_config *y, const char *cls, const char *yaml,
                                       causal_flow_config *f)
{
    const char *tag = yaml_config_tag(y, "flow");
    if (!tag) return cv_error(CV_INVALID_ARGUMENT, "%s: no flow section", yaml);
    if (strcmp(tag, cls))
        return cv_error(CV_UNIMPLEMENTED, "%s: flow %s is not supported", yaml, tag);
    memset(f, 0, sizeof *f);
    f->input_size = (int)yaml_config_int(y, "flow.input_size", 512);
    f->output_size = (int)yaml_config_int(y, "flow.output_size", 80);
    f->spk_embed_dim = (int)yaml_config_int(y, "flow.spk_embed_dim", 192);
    f->vocab_size = (int)yaml_config_int(y, "flow.vocab_size", 4096);
    f->token_mel_ratio = (int)yaml_config_int(y, "flow.token_mel_ratio", 2);
    f->pre_lookahead_len = (int)yaml_config_int(y, "flow.pre_lookahead_len", 3);
    if (f->input_size < 1 || f->output_size < 1 || f->spk_embed_dim < 1 || f->vocab_size < 1 ||
        f->token_mel_ratio < 1 || f->pre_lookahead_len < 1)
        return cv_error(CV_INVALID_ARGUMENT, "%s: bad flow sizes", yaml);
    return flow_cfm_params_from_yaml(y, f->output_size, &f->cfm);
}

cv_status causal_flow_new(const causal_flow_config *cfg, const pt_dict *sd,
                          causal_flow_encoder enc, flow_vector_field vf,
                          void (*vf_destroy)(void *net), const nn_noise *noise,
                          causal_flow **out)
{
    *out = NULL;
    causal_flow *f = calloc(1, sizeof *f);
    if (!f) {
        if (enc.destroy) enc.destroy(enc.self);
        if (vf_destroy) vf_destroy(vf.net);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    f->cfg = *cfg;
    f->enc = enc;
    f->vf = vf;
    f->vf_destroy = vf_destroy;
    cv_status st = cv_ok();
    int D = cfg->output_size;
    if (cfg->token_mel_ratio < 1 || cfg->pre_lookahead_len < 0 || D < 1 || cfg->input_size < 1)
        st = cv_error(CV_INVALID_ARGUMENT, "flow config: bad sizes");
    if (cv_is_ok(&st)) {
        f->embed = flow_w(sd, "", "input_embedding.weight", cfg->vocab_size, cfg->input_size, 0);
        f->spk_w = flow_w(sd, "", "spk_embed_affine_layer.weight", D, cfg->spk_embed_dim, 0);
        f->spk_b = flow_w(sd, "", "spk_embed_affine_layer.bias", D, 0, 0);
        if (!f->embed || !f->spk_w || !f->spk_b)
            st = cv_error(CV_INVALID_ARGUMENT, "flow.pt: missing or mis-shaped weights");
    }
    if (cv_is_ok(&st)) st = flow_noise_buffer_init(&f->noise, noise, D, FLOW_NOISE_FRAMES);
    /* under bf16 precision the products with the weights run in bf16 */
    if (cv_is_ok(&st)) {
        if (pt_weights_register(sd)) f->registered = sd;
        else st = cv_error(CV_RESOURCE_EXHAUSTED, "flow: out of memory for bf16 weights");
    }
    if (!cv_is_ok(&st)) {
        causal_flow_free(f);
        return st;
    }
    *out = f;
    return cv_ok();
}

void causal_flow_free(causal_flow *f)
{
    if (!f) return;
    if (f->enc.destroy) f->enc.destroy(f->enc.self);
    if (f->vf_destroy) f->vf_destroy(f->vf.net);
    if (f->registered) pt_weights_unregister(f->registered);
    flow_noise_buffer_free(&f->noise);
    free(f);
}

const causal_flow_config *causal_flow_cfg(const causal_flow *f) { return &f->cfg; }
flow_vector_field causal_flow_field(const causal_flow *f) { return f->vf; }

int causal_flow_frames(const causal_flow_config *cfg, int n_tokens, bool finalize)
{
    int n = finalize ? n_tokens : n_tokens - cfg->pre_lookahead_len;
    return n > 0 ? n * cfg->token_mel_ratio : 0;
}

void causal_flow_output_free(causal_flow_output *out)
{
    free(out->mel);
    free(out->mu);
    memset(out, 0, sizeof *out);
}

static cv_status check_input(const causal_flow *f, const causal_flow_input *in)
{
    const causal_flow_config *c = &f->cfg;
    cv_status st = flow_check_tokens(in->tokens, in->n_tokens, in->prompt_tokens,
                                     in->n_prompt_tokens, in->prompt_feat, in->n_prompt_frames,
                                     in->embedding, c->vocab_size, false);
    if (!cv_is_ok(&st)) return st;
    if (!in->finalize && in->n_tokens <= c->pre_lookahead_len)
        return cv_error(CV_INVALID_ARGUMENT, "flow: %d tokens leave none past the look-ahead",
                        in->n_tokens);
    return cv_ok();
}

cv_status causal_flow_infer(causal_flow *f, const causal_flow_input *in, causal_flow_output *out)
{
    memset(out, 0, sizeof *out);
    const causal_flow_config *c = &f->cfg;
    cv_status st = check_input(f, in);
    if (!cv_is_ok(&st)) return st;
    const int D = c->output_size, E = c->input_size;
    const int L = in->n_prompt_tokens + in->n_tokens;
    const int ctx = in->finalize ? 0 : c->pre_lookahead_len;
    float *spks = malloc((size_t)D * sizeof(float));
    float *emb = malloc((size_t)L * E * sizeof(float));
    float *h = NULL, *mu = NULL, *cond = NULL, *x = NULL;
    int T = 0;
    if (!spks || !emb) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    flow_speaker_projection(f->spk_w, f->spk_b, D, c->spk_embed_dim, in->embedding, spks);
    flow_embed_tokens(f->embed, E, in->prompt_tokens, in->n_prompt_tokens, in->tokens,
                      in->n_tokens, emb);
    st = f->enc.forward(f->enc.self, emb, L - ctx, ctx, in->streaming, &h, &T);
    if (!cv_is_ok(&st)) goto done;
    const int mel1 = in->n_prompt_frames, mel2 = T - mel1;
    if (mel2 < 1) {
        st = cv_error(CV_INVALID_ARGUMENT, "flow: the prompt mel (%d frames) covers all %d frames",
                      mel1, T);
        goto done;
    }
    mu = malloc((size_t)D * T * sizeof(float));
    cond = calloc((size_t)D * T, sizeof(float));
    x = malloc((size_t)D * T * sizeof(float));
    if (!mu || !cond || !x) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    nn_transpose(h, T, D, mu); /* rows -> [D][T] */
    flow_prompt_cond(in->prompt_feat, mel1, D, T, cond);
    st = flow_noise_buffer_take(&f->noise, T, x);
    if (!cv_is_ok(&st)) goto done;
    st = flow_cfm_solve(&f->vf, &c->cfm, D, T, mu, NULL, spks, cond, in->streaming, in->stop, x);
    if (!cv_is_ok(&st)) goto done;
    out->mel = flow_keep_frames(x, D, T, mel1);
    if (!out->mel) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    out->mel_frames = mel2;
    if (in->want_mu) {
        out->mu = mu;
        out->mu_frames = T;
        mu = NULL;
    }
done:
    if (!cv_is_ok(&st)) causal_flow_output_free(out);
    free(spks), free(emb), free(h), free(mu), free(cond), free(x);
    return st;
}

typedef struct pool_ctx {
    causal_flow_load_fn load;
    const pt_dict *sd;
    const void *cfg;
    const nn_noise *noise;
} pool_ctx;

static cv_status pool_make(void *ctx, void **out)
{
    const pool_ctx *c = ctx;
    causal_flow *f = NULL;
    cv_status st = c->load(c->sd, c->cfg, c->noise, &f);
    *out = f;
    return st;
}

static void pool_destroy(void *inst) { causal_flow_free(inst); }

cv_status causal_flow_pool_new(causal_flow_load_fn load, const pt_dict *sd, const void *cfg,
                               const nn_noise *noise, instance_pool **out)
{
    pool_ctx *c = malloc(sizeof *c);
    if (!c) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    *c = (pool_ctx){load, sd, cfg, noise};
    cv_status st = instance_pool_new(pool_make, pool_destroy, c, out);
    if (!cv_is_ok(&st)) free(c);
    return st;
}
