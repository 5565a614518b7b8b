#include "model/blocks/rel_encoder_yaml.h"

#include <stdio.h>
#include <string.h>

static const char *key(char *buf, size_t cap, const char *path, const char *k)
{
    snprintf(buf, cap, "%s.%s", path, k);
    return buf;
}

cv_status rel_encoder_config_from_yaml(const yaml_config *y, const char *path,
                                       rel_encoder_config *out)
{
    char b[256];
    const char *tag = yaml_config_tag(y, path);
    rel_enc_kind kind;
    if (tag && strcmp(tag, "cosyvoice.transformer.encoder.ConformerEncoder") == 0)
        kind = REL_ENC_CONFORMER;
    else if (tag && strcmp(tag, "cosyvoice.transformer.encoder.TransformerEncoder") == 0)
        kind = REL_ENC_TRANSFORMER;
    else
        return cv_error(CV_UNIMPLEMENTED, "%s: encoder class %s is not supported", path,
                        tag ? tag : "(none)");
    bool conf = kind == REL_ENC_CONFORMER;
    rel_encoder_config c = rel_encoder_config_default(kind);
    /* defaults of the reference's BaseEncoder/ConformerEncoder/TransformerEncoder */
    c.input_size = (int)yaml_config_int(y, key(b, sizeof b, path, "input_size"), 0);
    c.output_size = (int)yaml_config_int(y, key(b, sizeof b, path, "output_size"), 256);
    c.attention_heads = (int)yaml_config_int(y, key(b, sizeof b, path, "attention_heads"), 4);
    c.linear_units = (int)yaml_config_int(y, key(b, sizeof b, path, "linear_units"), 2048);
    c.num_blocks = (int)yaml_config_int(y, key(b, sizeof b, path, "num_blocks"), 6);
    c.static_chunk_size = (int)yaml_config_int(y, key(b, sizeof b, path, "static_chunk_size"), 0);
    if (c.input_size <= 0) return cv_error(CV_INVALID_ARGUMENT, "%s: input_size missing", path);

    const char *s = yaml_config_str(y, key(b, sizeof b, path, "input_layer"), "conv2d");
    if (!rel_enc_input_parse(s, &c.input_layer))
        return cv_error(CV_UNIMPLEMENTED, "%s: input_layer '%s' is not supported", path, s);
    s = yaml_config_str(y, key(b, sizeof b, path, "activation_type"), conf ? "swish" : "relu");
    if (!rel_enc_activation_parse(s, &c.activation))
        return cv_error(CV_UNIMPLEMENTED, "%s: activation_type '%s' is not supported", path, s);
    s = yaml_config_str(y, key(b, sizeof b, path, "pos_enc_layer_type"),
                        conf ? "rel_pos" : "abs_pos");
    if (strcmp(s, "rel_pos_espnet") != 0)
        return cv_error(CV_UNIMPLEMENTED, "%s: pos_enc_layer_type '%s' is not supported", path, s);
    s = yaml_config_str(y, key(b, sizeof b, path, "selfattention_layer_type"),
                        conf ? "rel_selfattn" : "selfattn");
    if (strcmp(s, "rel_selfattn") != 0)
        return cv_error(CV_UNIMPLEMENTED, "%s: selfattention_layer_type '%s' is not supported",
                        path, s);
    if (!yaml_config_bool(y, key(b, sizeof b, path, "normalize_before"), true))
        return cv_error(CV_UNIMPLEMENTED, "%s: normalize_before False is not supported", path);
    if (yaml_config_bool(y, key(b, sizeof b, path, "use_dynamic_chunk"), false))
        return cv_error(CV_UNIMPLEMENTED, "%s: use_dynamic_chunk is not supported", path);
    if (!yaml_config_bool(y, key(b, sizeof b, path, "key_bias"), true))
        return cv_error(CV_UNIMPLEMENTED, "%s: key_bias False is not supported", path);
    if (conf && (yaml_config_bool(y, key(b, sizeof b, path, "use_cnn_module"), true) ||
                 yaml_config_bool(y, key(b, sizeof b, path, "macaron_style"), true)))
        return cv_error(CV_UNIMPLEMENTED,
                        "%s: convolution module / macaron style are not supported", path);
    *out = c;
    return cv_ok();
}
