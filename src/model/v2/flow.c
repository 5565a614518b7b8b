/* CosyVoice2's flow: configuration and assembly; see flow.h. */
#include "model/v2/flow.h"

#include <stdlib.h>
#include <string.h>

#include "model/blocks/flow_weights.h"
#include "model/blocks/flow_yaml.h"
#include "nn/matmul.h"

#define F "flow."

cv_status flow2_config_from_yaml(const yaml_config *y, flow2_config *c)
{
    memset(c, 0, sizeof *c);
    causal_flow_config *f = &c->flow;
    cv_status st = causal_flow_config_from_yaml(y, "cosyvoice.flow.flow.CausalMaskedDiffWithXvec",
                                                "cosyvoice2.yaml", f);
    if (!cv_is_ok(&st)) return st;
    st = upsample_encoder_config_from_yaml(y, &c->encoder);
    if (cv_is_ok(&st) && c->encoder.blocks.input_size != f->input_size)
        st = cv_error(CV_INVALID_ARGUMENT,
                      "cosyvoice2.yaml: flow.encoder.input_size must equal flow.input_size");
    if (cv_is_ok(&st) && c->encoder.stride != f->token_mel_ratio)
        st = cv_error(CV_INVALID_ARGUMENT,
                      "cosyvoice2.yaml: token_mel_ratio %d, but the encoder upsamples by %d",
                      f->token_mel_ratio, c->encoder.stride);
    if (cv_is_ok(&st) && c->encoder.pre_lookahead_len != f->pre_lookahead_len)
        st = cv_error(CV_INVALID_ARGUMENT, "cosyvoice2.yaml: two pre_lookahead_len values");
    if (cv_is_ok(&st)) st = flow_est_config_from_yaml(y, f->output_size, &c->est);
    if (cv_is_ok(&st) && !c->est.causal)
        st = cv_error(CV_UNIMPLEMENTED, "cosyvoice2.yaml: the estimator must be a "
                      "CausalConditionalDecoder");
    return st;
}

/* The v2 encoder as the causal flow sees it: UpsampleConformerEncoder,
 * then encoder_proj to the mel bins. */
typedef struct enc2 {
    upsample_encoder *enc;
    const float *proj_w, *proj_b; /* [mel][width] */
    int mel, stride;
} enc2;

static cv_status enc2_forward(void *self, const float *e, int n, int n_ctx, bool streaming,
                              float **mu, int *frames)
{
    const enc2 *x = self;
    const int d = upsample_encoder_width(x->enc), T = n * x->stride;
    float *h = malloc(sizeof(float) * (size_t)T * d);
    float *o = malloc(sizeof(float) * (size_t)T * x->mel);
    cv_status st = h && o ? cv_ok() : cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    if (cv_is_ok(&st)) st = upsample_encoder_forward(x->enc, e, n, n_ctx, streaming, h);
    if (cv_is_ok(&st)) nn_linear(h, T, d, x->proj_w, x->proj_b, x->mel, o);
    free(h);
    if (!cv_is_ok(&st)) {
        free(o);
        return st;
    }
    *mu = o;
    *frames = T;
    return cv_ok();
}

static void enc2_free(void *self)
{
    enc2 *x = self;
    if (!x) return;
    upsample_encoder_free(x->enc);
    free(x);
}

static void estimator_destroy(void *net) { flow_estimator_free(net); }

cv_status flow2_load(const pt_dict *sd, const flow2_config *cfg, const nn_noise *noise,
                     causal_flow **out)
{
    *out = NULL;
    const int D = cfg->flow.output_size;
    if (cfg->est.out_channels != D)
        return cv_error(CV_INVALID_ARGUMENT, "flow config: estimator and flow mel bins differ");
    enc2 *e = calloc(1, sizeof *e);
    if (!e) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    e->mel = D;
    e->stride = cfg->encoder.stride;
    cv_status st = upsample_encoder_load(sd, "encoder.", &cfg->encoder, &e->enc);
    if (cv_is_ok(&st)) {
        int d = upsample_encoder_width(e->enc);
        e->proj_w = flow_w(sd, "", "encoder_proj.weight", D, d, 0);
        e->proj_b = flow_w(sd, "", "encoder_proj.bias", D, 0, 0);
        if (!e->proj_w || !e->proj_b)
            st = cv_error(CV_INVALID_ARGUMENT, "flow.pt: encoder_proj missing or mis-shaped");
    }
    flow_estimator *est = NULL;
    if (cv_is_ok(&st)) st = flow_estimator_create(&cfg->est, sd, "decoder.estimator.", &est);
    if (!cv_is_ok(&st)) {
        enc2_free(e);
        return st;
    }
    causal_flow_encoder ce = {enc2_forward, enc2_free, e};
    return causal_flow_new(&cfg->flow, sd, ce, flow_estimator_field(est), estimator_destroy,
                           noise, out);
}

static cv_status load_any(const pt_dict *sd, const void *cfg, const nn_noise *noise,
                          causal_flow **out)
{
    return flow2_load(sd, cfg, noise, out);
}

cv_status flow2_pool_new(const pt_dict *sd, const flow2_config *cfg, const nn_noise *noise,
                         instance_pool **out)
{
    return causal_flow_pool_new(load_any, sd, cfg, noise, out);
}
