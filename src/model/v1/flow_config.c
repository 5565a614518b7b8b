/* flow_config from the `flow` section of cosyvoice.yaml. Sizes come from
 * the file; defaults only for keys the reference constructors default. */
#include <stdio.h>
#include <string.h>

#include "model/blocks/flow_yaml.h"
#include "model/blocks/rel_encoder_yaml.h"
#include "model/v1/flow.h"

#define F "flow."

static int geti(const yaml_config *y, const char *path, long def) {
    return (int)yaml_config_int(y, path, def);
}

static cv_status encoder_config(const yaml_config *y, rel_encoder_config *e) {
    const char *tag = yaml_config_tag(y, "flow.encoder");
    if (!tag || !strstr(tag, "ConformerEncoder") || strstr(tag, "Upsample"))
        return cv_error(CV_UNIMPLEMENTED, "cosyvoice.yaml: flow.encoder must be a ConformerEncoder");
    cv_status st = rel_encoder_config_from_yaml_as(y, "flow.encoder", REL_ENC_CONFORMER, e);
    if (cv_is_ok(&st) && e->input_size < 1)
        st = cv_error(CV_INVALID_ARGUMENT, "cosyvoice.yaml: flow.encoder sizes missing");
    return st;
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

    st = flow_cfm_params_from_yaml(y, c->output_size, &c->cfm);
    if (!cv_is_ok(&st)) return st;
    st = flow_est_config_from_yaml(y, c->output_size, &c->est);
    if (cv_is_ok(&st) && c->est.causal)
        return cv_error(CV_UNIMPLEMENTED, "cosyvoice.yaml: a causal estimator in a v1 flow");
    return st;
}
