/* CosyVoice3's flow: configuration and assembly; see flow.h. */
#include "model/v3/flow.h"

#include <stdlib.h>
#include <string.h>

#include "model/blocks/flow_yaml.h"
#include "model/blocks/pre_lookahead.h"

#define F "flow."

cv_status flow3_config_from_yaml(const yaml_config *y, flow3_config *c)
{
    memset(c, 0, sizeof *c);
    causal_flow_config *f = &c->flow;
    cv_status st = causal_flow_config_from_yaml(y, "cosyvoice.flow.flow.CausalMaskedDiffWithDiT",
                                                "cosyvoice3.yaml", f);
    if (!cv_is_ok(&st)) return st;
    const char *pl = yaml_config_tag(y, F "pre_lookahead_layer");
    if (!pl || strcmp(pl, "cosyvoice.transformer.upsample_encoder.PreLookaheadLayer"))
        return cv_error(CV_UNIMPLEMENTED, "cosyvoice3.yaml: flow.pre_lookahead_layer must be a "
                        "PreLookaheadLayer");
    if (yaml_config_int(y, F "pre_lookahead_layer.pre_lookahead_len", f->pre_lookahead_len) !=
            f->pre_lookahead_len ||
        yaml_config_int(y, F "pre_lookahead_layer.in_channels", f->input_size) != f->input_size)
        return cv_error(CV_INVALID_ARGUMENT, "cosyvoice3.yaml: pre_lookahead_layer does not fit "
                        "the flow's input_size and pre_lookahead_len");
    c->pre_lookahead_channels = (int)yaml_config_int(y, F "pre_lookahead_layer.channels", -1);
    if (c->pre_lookahead_channels < 1)
        return cv_error(CV_INVALID_ARGUMENT, "cosyvoice3.yaml: flow.pre_lookahead_layer.channels missing");
    /* the embeddings are the decoder's mu as they are */
    if (f->input_size != f->output_size)
        return cv_error(CV_INVALID_ARGUMENT,
                        "cosyvoice3.yaml: flow.input_size must equal output_size (mu = embeddings)");
    st = dit_config_from_yaml(y, &c->dit);
    if (cv_is_ok(&st) && (c->dit.mel_dim != f->output_size || c->dit.mu_dim != f->output_size ||
                          (c->dit.spk_dim && c->dit.spk_dim != f->output_size)))
        st = cv_error(CV_INVALID_ARGUMENT, "cosyvoice3.yaml: DiT mel/mu/spk dims must be %d",
                      f->output_size);
    return st;
}

/* The v3 encoder: pre-look-ahead layer, then every frame repeated
 * token_mel_ratio times (repeat_interleave). */
typedef struct enc3 {
    pre_lookahead look;
    int ratio;
} enc3;

static cv_status enc3_forward(void *self, const float *e, int n, int n_ctx, bool streaming,
                              float **mu, int *frames)
{
    (void)streaming; /* the layer is causal apart from its look-ahead */
    const enc3 *x = self;
    const int C = x->look.in_channels;
    float *h = malloc(sizeof(float) * (size_t)n * C);
    float *o = malloc(sizeof(float) * (size_t)n * x->ratio * C);
    cv_status st = h && o ? pre_lookahead_forward(&x->look, e, n, n_ctx, h)
                          : cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    if (cv_is_ok(&st))
        for (int i = 0; i < n; i++)
            for (int r = 0; r < x->ratio; r++)
                memcpy(o + ((size_t)i * x->ratio + r) * C, h + (size_t)i * C, sizeof(float) * C);
    free(h);
    if (!cv_is_ok(&st)) {
        free(o);
        return st;
    }
    *mu = o;
    *frames = n * x->ratio;
    return cv_ok();
}

static void dit_destroy(void *net) { dit_free(net); }

cv_status flow3_load(const pt_dict *sd, const flow3_config *cfg, const nn_noise *noise,
                     causal_flow **out)
{
    *out = NULL;
    enc3 *e = calloc(1, sizeof *e);
    if (!e) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    e->ratio = cfg->flow.token_mel_ratio;
    cv_status st = pre_lookahead_bind(&e->look, sd, "pre_lookahead_layer.",
                                      cfg->flow.pre_lookahead_len, cfg->flow.input_size);
    if (cv_is_ok(&st) && e->look.channels != cfg->pre_lookahead_channels)
        st = cv_error(CV_INVALID_ARGUMENT, "flow.pt: the pre-look-ahead layer has %d channels, "
                      "cosyvoice3.yaml says %d", e->look.channels, cfg->pre_lookahead_channels);
    dit *d = NULL;
    if (cv_is_ok(&st)) st = dit_load(sd, "decoder.estimator.", &cfg->dit, &d);
    if (!cv_is_ok(&st)) {
        free(e);
        return st;
    }
    causal_flow_encoder ce = {enc3_forward, free, e};
    return causal_flow_new(&cfg->flow, sd, ce, dit_field(d), dit_destroy, noise, out);
}

static cv_status load_any(const pt_dict *sd, const void *cfg, const nn_noise *noise,
                          causal_flow **out)
{
    return flow3_load(sd, cfg, noise, out);
}

cv_status flow3_pool_new(const pt_dict *sd, const flow3_config *cfg, const nn_noise *noise,
                         instance_pool **out)
{
    return causal_flow_pool_new(load_any, sd, cfg, noise, out);
}
