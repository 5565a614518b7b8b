#include "model/blocks/flow_yaml.h"

#include <stdio.h>
#include <string.h>

#define EST "flow.decoder.estimator."
#define CFM "flow.decoder.cfm_params.content."

static int geti(const yaml_config *y, const char *path, long def)
{
    return (int)yaml_config_int(y, path, def);
}

cv_status flow_cfm_params_from_yaml(const yaml_config *y, int mel, flow_cfm_params *p)
{
    /* every family's flow.inference integrates 10 Euler steps */
    p->n_timesteps = 10;
    p->cfg_rate = (float)yaml_config_float(y, CFM "inference_cfg_rate", 0.7);
    const char *sched = yaml_config_str(y, CFM "t_scheduler", "cosine");
    p->cosine = !strcmp(sched, "cosine");
    if (!p->cosine && strcmp(sched, "linear"))
        return cv_error(CV_UNIMPLEMENTED, "yaml: t_scheduler %s", sched);
    const char *solver = yaml_config_str(y, CFM "solver", "euler");
    if (strcmp(solver, "euler")) return cv_error(CV_UNIMPLEMENTED, "yaml: cfm solver %s", solver);
    if (geti(y, "flow.decoder.spk_emb_dim", mel) != mel)
        return cv_error(CV_INVALID_ARGUMENT, "yaml: flow.decoder.spk_emb_dim must be %d", mel);
    return cv_ok();
}

cv_status flow_est_config_from_yaml(const yaml_config *y, int mel, flow_est_config *c)
{
    *c = (flow_est_config){0};
    /* told apart by class name (the module path is the reference's own) */
    const char *tag = yaml_config_tag(y, "flow.decoder.estimator");
    const char *cls = tag ? strrchr(tag, '.') : NULL;
    cls = cls ? cls + 1 : tag;
    c->causal = cls && !strcmp(cls, "CausalConditionalDecoder");
    if (cls && !c->causal && strcmp(cls, "ConditionalDecoder"))
        return cv_error(CV_UNIMPLEMENTED, "yaml: flow estimator %s is not supported", tag);
    c->in_channels = geti(y, EST "in_channels", -1);
    c->out_channels = geti(y, EST "out_channels", -1);
    c->n_blocks = geti(y, EST "n_blocks", 1);
    c->num_mid_blocks = geti(y, EST "num_mid_blocks", 2);
    c->num_heads = geti(y, EST "num_heads", 4);
    c->head_dim = geti(y, EST "attention_head_dim", 64);
    c->ff_mult = 4; /* diffusers FeedForward default */
    c->groups = 8;  /* Block1D default */
    /* the decoder's chunk masks always see every left chunk (the reference
     * passes -1 whatever num_decoding_left_chunks says) */
    c->static_chunk_size = c->causal ? geti(y, EST "static_chunk_size", 50) : 0;
    size_t n = yaml_config_len(y, EST "channels");
    if (n < 1 || n > FLOW_EST_MAX_STAGES)
        return cv_error(CV_INVALID_ARGUMENT, "yaml: bad " EST "channels");
    c->n_stages = (int)n;
    char p[160];
    for (size_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, EST "channels.%zu", i);
        c->channels[i] = geti(y, p, -1);
        if (c->channels[i] < 1) return cv_error(CV_INVALID_ARGUMENT, "yaml: bad %s", p);
    }
    if (strcmp(yaml_config_str(y, EST "act_fn", "snake"), "gelu"))
        return cv_error(CV_UNIMPLEMENTED, "yaml: " EST "act_fn must be gelu");
    if (c->out_channels != mel || c->in_channels != 4 * mel)
        return cv_error(CV_INVALID_ARGUMENT,
                        "yaml: estimator in/out channels must be 4x/1x the mel bins");
    if (c->static_chunk_size < 0)
        return cv_error(CV_INVALID_ARGUMENT, "yaml: " EST "static_chunk_size must be >= 0");
    return cv_ok();
}
