#include "model/v2/llm.h"



qwen2_lm_layout cv2_llm_layout(int S, int mix_text, int mix_speech)
{
    return (qwen2_lm_layout){
        .speech_token_size = S,
        .n_speech_rows = S + 3,
        .sos_task_in_speech_table = false,
        .sos_row = 0,
        .task_row = 1,
        .eos = S,
        .fill = S + 2,
        .stop_from = S,
        .stop_to = S + 3,
        .min_len_masked = S, /* eos */
        .decoder_bias = true,
        .required_text_id = -1,
        .mix_text = mix_text,
        .mix_speech = mix_speech,
    };
}

cv_status cv2_llm_config(const char *model_dir, const yaml_config *y, qwen2_lm_config *out)
{
    return qwen2_lm_config_from_dir(model_dir, y, "cosyvoice.llm.llm.Qwen2LM", cv2_llm_layout, out);
}

cv_status cv2_llm_open(const char *model_dir, const yaml_config *y, const char *weights,
                       qwen2_lm **out)
{
    qwen2_lm_config cfg;
    cv_status s = cv2_llm_config(model_dir, y, &cfg);
    return cv_is_ok(&s) ? qwen2_lm_open(model_dir, weights, &cfg, out) : s;
}
