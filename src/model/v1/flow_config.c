/* flow_config from the `flow` section of cosyvoice.yaml. Sizes come from
 * the file; defaults only for keys the reference constructors default. */
#include <stdio.h>
#include <string.h>

#include "model/v1/flow.h"

#define F "flow."
#define ENC "flow.encoder."
#define EST "flow.decoder.estimator."

static int geti(const yaml_config *y, const char *path, long def) {
    return (int)yaml_config_int(y, path, def);
}

static cv_status encoder_config(const yaml_config *y, rel_encoder_config *e) {
    const char *tag = yaml_config_tag(y, "flow.encoder");
    if (!tag || !strstr(tag, "ConformerEncoder"))
        return cv_error(CV_UNIMPLEMENTED, "cosyvoice.yaml: flow.encoder must be a ConformerEncoder");
    *e = rel_encoder_config_default(REL_ENC_CONFORMER);
    e->input_size = geti(y, ENC "input_size", -1);
    e->output_size = geti(y, ENC "output_size", 256);
    e->attention_heads = geti(y, ENC "attention_heads", 4);
    e->linear_units = geti(y, ENC "linear_units", 2048);
    e->num_blocks = geti(y, ENC "num_blocks", 6);
    e->static_chunk_size = geti(y, ENC "static_chunk_size", 0);
    if (!rel_enc_input_parse(yaml_config_str(y, ENC "input_layer", "conv2d"), &e->input_layer))
        return cv_error(CV_UNIMPLEMENTED, "cosyvoice.yaml: flow.encoder.input_layer unsupported");
    if (!rel_enc_activation_parse(yaml_config_str(y, ENC "activation_type", "swish"),
                                  &e->activation))
        return cv_error(CV_UNIMPLEMENTED, "cosyvoice.yaml: flow.encoder.activation_type unsupported");
    if (strcmp(yaml_config_str(y, ENC "pos_enc_layer_type", "rel_pos"), "rel_pos_espnet") ||
        strcmp(yaml_config_str(y, ENC "selfattention_layer_type", "rel_selfattn"), "rel_selfattn"))
        return cv_error(CV_UNIMPLEMENTED,
                        "cosyvoice.yaml: flow.encoder needs rel_pos_espnet / rel_selfattn");
    if (yaml_config_bool(y, ENC "use_cnn_module", true) ||
        yaml_config_bool(y, ENC "macaron_style", true))
        return cv_error(CV_UNIMPLEMENTED,
                        "cosyvoice.yaml: flow.encoder with use_cnn_module/macaron_style");
    if (e->input_size < 1 || e->output_size < 1)
        return cv_error(CV_INVALID_ARGUMENT, "cosyvoice.yaml: flow.encoder sizes missing");
    return cv_ok();
}

static cv_status estimator_config(const yaml_config *y, flow_est_config *c, int mel) {
    *c = (flow_est_config){0};
    c->in_channels = geti(y, EST "in_channels", -1);
    c->out_channels = geti(y, EST "out_channels", -1);
    c->n_blocks = geti(y, EST "n_blocks", 1);
    c->num_mid_blocks = geti(y, EST "num_mid_blocks", 2);
    c->num_heads = geti(y, EST "num_heads", 4);
    c->head_dim = geti(y, EST "attention_head_dim", 64);
    c->ff_mult = 4;  /* diffusers FeedForward default */
    c->groups = 8;   /* Block1D default */
    size_t n = yaml_config_len(y, EST "channels");
    if (n < 1 || n > FLOW_EST_MAX_STAGES)
        return cv_error(CV_INVALID_ARGUMENT, "cosyvoice.yaml: bad " EST "channels");
    c->n_stages = (int)n;
    char p[160];
    for (size_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, EST "channels.%zu", i);
        c->channels[i] = geti(y, p, -1);
        if (c->channels[i] < 1) return cv_error(CV_INVALID_ARGUMENT, "cosyvoice.yaml: bad %s", p);
    }
    if (strcmp(yaml_config_str(y, EST "act_fn", "snake"), "gelu"))
        return cv_error(CV_UNIMPLEMENTED, "cosyvoice.yaml: " EST "act_fn must be gelu");
    if (c->out_channels != mel || c->in_channels != 4 * mel)
        return cv_error(CV_INVALID_ARGUMENT,
                        "cosyvoice.yaml: estimator in/out channels must be 4x/1x the mel bins");
    return cv_ok();
}

cv_status flow_config_from_yaml(const yaml_config *y, flow_config *c) {
    const char *tag = yaml_config_tag(y, "flow");
    if (!tag) return cv_error(CV_INVALID_ARGUMENT, "cosyvoice.yaml: no flow section");
    if (!strstr(tag, "MaskedDiffWithXvec") || strstr(tag, "Causal"))
        return cv_error(CV_UNIMPLEMENTED, "cosyvoice.yaml: flow %s is not supported", tag);
    memset(c, 0, sizeof *c);
    c->input_size = geti(y, F "input_size", 512);
    c->output_size = geti(y, F "output_size", 80);
    c->spk_embed_dim = geti(y, F "spk_embed_dim", 192);
    c->vocab_size = geti(y, F "vocab_size", 4096);
    c->input_frame_rate = geti(y, F "input_frame_rate", 50);
    if (c->input_size < 1 || c->output_size < 1 || c->spk_embed_dim < 1 || c->vocab_size < 1 ||
        c->input_frame_rate < 1)
        return cv_error(CV_INVALID_ARGUMENT, "cosyvoice.yaml: bad flow sizes");
    cv_status st = encoder_config(y, &c->encoder);
    if (!cv_is_ok(&st)) return st;

    int ch = geti(y, "flow.length_regulator.channels", -1);
    if (ch != c->output_size || geti(y, "flow.length_regulator.out_channels", ch) != ch)
        return cv_error(CV_INVALID_ARGUMENT,
                        "cosyvoice.yaml: flow.length_regulator channels must equal output_size");
    c->lr_n_convs = (int)yaml_config_len(y, "flow.length_regulator.sampling_ratios");
    c->lr_groups = geti(y, "flow.length_regulator.groups", 1);

    /* MaskedDiffWithXvec.inference always integrates 10 Euler steps */
    c->cfm.n_timesteps = 10;
    c->cfm.cfg_rate = (float)yaml_config_float(
        y, "flow.decoder.cfm_params.content.inference_cfg_rate", 0.7);
    const char *sched = yaml_config_str(y, "flow.decoder.cfm_params.content.t_scheduler", "cosine");
    c->cfm.cosine = !strcmp(sched, "cosine");
    if (!c->cfm.cosine && strcmp(sched, "linear"))
        return cv_error(CV_UNIMPLEMENTED, "cosyvoice.yaml: t_scheduler %s", sched);
    const char *solver = yaml_config_str(y, "flow.decoder.cfm_params.content.solver", "euler");
    if (strcmp(solver, "euler"))
        return cv_error(CV_UNIMPLEMENTED, "cosyvoice.yaml: cfm solver %s", solver);
    if (geti(y, "flow.decoder.spk_emb_dim", c->output_size) != c->output_size)
        return cv_error(CV_INVALID_ARGUMENT, "cosyvoice.yaml: flow.decoder.spk_emb_dim");
    return estimator_config(y, &c->est, c->output_size);
}
