/* A Qwen2 speech LM from a model directory: the llm: section of
 * cosyvoice2.yaml / cosyvoice3.yaml, and the weights file. */
#include <stdio.h>
#include <string.h>

#include "model/blocks/qwen2_lm.h"

static cv_status from_yaml(const yaml_config *y, const char *expect_class,
                           const char *qwen_config_path, qwen2_lm_config *cfg)
{
    const char *tag = yaml_config_tag(y, "llm");
    if (!tag || strcmp(tag, expect_class) != 0)
        return cv_error(CV_UNIMPLEMENTED, "llm: class %s is not supported here (expected %s)",
                        tag ? tag : "(none)", expect_class);
    const char *enc = yaml_config_tag(y, "llm.llm");
    if (enc && strcmp(enc, "cosyvoice.llm.llm.Qwen2Encoder") != 0)
        return cv_error(CV_UNIMPLEMENTED, "llm.llm: %s is not supported (Qwen2Encoder only)", enc);
    memset(cfg, 0, sizeof *cfg);
    cv_status s = qwen2_config_read(qwen_config_path, &cfg->qwen);
    if (!cv_is_ok(&s)) return s;
    int in = (int)yaml_config_int(y, "llm.llm_input_size", 0);
    int out = (int)yaml_config_int(y, "llm.llm_output_size", 0);
    int S = (int)yaml_config_int(y, "llm.speech_token_size", 0);
    if (in != cfg->qwen.hidden || out != cfg->qwen.hidden)
        return cv_error(CV_INVALID_ARGUMENT,
                        "llm: llm_input_size %d / llm_output_size %d differ from the Qwen2 "
                        "hidden_size %d of %s",
                        in, out, cfg->qwen.hidden, qwen_config_path);
    if (S <= 0 || S > (1 << 20))
        return cv_error(CV_INVALID_ARGUMENT, "llm: speech_token_size missing or invalid");
    cfg->layout.speech_token_size = S;
    cfg->layout.mix_text = 5, cfg->layout.mix_speech = 15; /* the class's default */
    if (yaml_config_has(y, "llm.mix_ratio")) {
        if (yaml_config_len(y, "llm.mix_ratio") != 2)
            return cv_error(CV_INVALID_ARGUMENT, "llm: mix_ratio must be [text, speech]");
        cfg->layout.mix_text = (int)yaml_config_int(y, "llm.mix_ratio.0", 0);
        cfg->layout.mix_speech = (int)yaml_config_int(y, "llm.mix_ratio.1", 0);
        if (cfg->layout.mix_text <= 0 || cfg->layout.mix_speech <= 0)
            return cv_error(CV_INVALID_ARGUMENT, "llm: mix_ratio must be two positive integers");
    }
    return llm_sampling_from_yaml(y, "llm.sampling", &cfg->sampling);
}

cv_status qwen2_lm_config_from_dir(const char *model_dir, const yaml_config *y,
                                   const char *expect_class, qwen2_lm_layout_fn layout,
                                   qwen2_lm_config *cfg)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/CosyVoice-BlankEN/config.json", model_dir);
    cv_status s = from_yaml(y, expect_class, path, cfg);
    if (cv_is_ok(&s))
        cfg->layout = layout(cfg->layout.speech_token_size, cfg->layout.mix_text,
                             cfg->layout.mix_speech);
    return s;
}

cv_status qwen2_lm_open(const char *model_dir, const char *weights, const qwen2_lm_config *cfg,
                        qwen2_lm **out)
{
    *out = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", model_dir, weights ? weights : "llm.pt");
    pt_dict sd = {0};
    cv_status s = pt_load(path, &sd);
    if (!cv_is_ok(&s)) return s;
    s = qwen2_lm_load(&sd, cfg, out);
    if (!cv_is_ok(&s)) {
        pt_free(&sd);
        return s;
    }
    qwen2_lm_own_weights(*out, &sd);
    return cv_ok();
}
