#include "model/v1/llm_yaml.h"

#include <string.h>

#include "model/blocks/rel_encoder_yaml.h"

cv_status llm_config_from_yaml(const yaml_config *y, llm_config *out)
{
    const char *tag = yaml_config_tag(y, "llm");
    if (!tag || strcmp(tag, "cosyvoice.llm.llm.TransformerLM") != 0)
        return cv_error(CV_UNIMPLEMENTED, "llm: class %s is not supported (CosyVoice v1 "
                        "TransformerLM only)", tag ? tag : "(none)");
    llm_config c;
    memset(&c, 0, sizeof c);
    c.text_encoder_input_size = (int)yaml_config_int(y, "llm.text_encoder_input_size", 0);
    c.llm_input_size = (int)yaml_config_int(y, "llm.llm_input_size", 0);
    c.llm_output_size = (int)yaml_config_int(y, "llm.llm_output_size", 0);
    c.text_token_size = (int)yaml_config_int(y, "llm.text_token_size", 0);
    c.speech_token_size = (int)yaml_config_int(y, "llm.speech_token_size", 0);
    c.spk_embed_dim = (int)yaml_config_int(y, "llm.spk_embed_dim", 192);
    if (c.text_encoder_input_size <= 0 || c.llm_input_size <= 0 || c.llm_output_size <= 0 ||
        c.text_token_size <= 0 || c.speech_token_size <= 0 || c.spk_embed_dim <= 0)
        return cv_error(CV_INVALID_ARGUMENT, "llm: sizes missing from the configuration");
    cv_status s = rel_encoder_config_from_yaml(y, "llm.text_encoder", &c.text_encoder);
    if (cv_is_ok(&s)) s = rel_encoder_config_from_yaml(y, "llm.llm", &c.llm);
    if (!cv_is_ok(&s)) return s;

    s = llm_sampling_from_yaml(y, "llm.sampling", &c.sampling);
    if (!cv_is_ok(&s)) return s;
    *out = c;
    return cv_ok();
}
