#include "model/v3/llm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

qwen2_lm_layout cv3_llm_layout(int S, int mix_text, int mix_speech)
{
    return (qwen2_lm_layout){
        .speech_token_size = S,
        .n_speech_rows = S + 200,
        .sos_task_in_speech_table = true,
        .sos_row = S,
        .task_row = S + 2,
        .eos = S + 1,
        .fill = S + 3,
        .stop_from = S,
        .stop_to = S + 200,
        .min_len_masked = S, /* sos, as the reference does (see llm.h) */
        .decoder_bias = false,
        .required_text_id = CV3_ENDOFPROMPT_ID,
        .mix_text = mix_text,
        .mix_speech = mix_speech,
    };
}

cv_status cv3_llm_config(const char *model_dir, const yaml_config *y, qwen2_lm_config *out)
{
    return qwen2_lm_config_from_dir(model_dir, y, "cosyvoice.llm.llm.CosyVoice3LM", cv3_llm_layout, out);
}

cv_status cv3_llm_open(const char *model_dir, const yaml_config *y, const char *weights,
                       qwen2_lm **out)
{
    qwen2_lm_config cfg;
    cv_status s = cv3_llm_config(model_dir, y, &cfg);
    return cv_is_ok(&s) ? qwen2_lm_open(model_dir, weights, &cfg, out) : s;
}

const char *cv3_llm_system_prompt(void) { return "You are a helpful assistant." CV3_ENDOFPROMPT; }

bool cv3_llm_has_endofprompt(const int32_t *ids, int n)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == CV3_ENDOFPROMPT_ID) return true;
    return false;
}

cv_status cv3_llm_system_prompt_ids(const bpe_tokenizer *tok, int32_t **ids, int *n)
{
    *ids = NULL;
    *n = 0;
    const char *p = cv3_llm_system_prompt();
    int32_t *v = NULL;
    size_t nv = 0;
    cv_status s = bpe_encode(tok, p, strlen(p), &v, &nv);
    if (!cv_is_ok(&s)) return s;
    if (!cv3_llm_has_endofprompt(v, (int)nv)) {
        free(v);
        return cv_error(CV_FAILED_PRECONDITION,
                        "the tokenizer has no " CV3_ENDOFPROMPT " token %d: not CosyVoice3's",
                        CV3_ENDOFPROMPT_ID);
    }
    *ids = v;
    *n = (int)nv;
    return cv_ok();
}

cv_status cv3_llm_prepend_system(const int32_t *sys, int n_sys, const int32_t *ids, int n,
                                 int32_t **out, int *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (cv3_llm_has_endofprompt(ids, n)) n_sys = 0;
    int32_t *v = malloc(((size_t)n_sys + (size_t)n + 1) * sizeof *v);
    if (!v) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    if (n_sys) memcpy(v, sys, (size_t)n_sys * sizeof *v);
    if (n) memcpy(v + n_sys, ids, (size_t)n * sizeof *v);
    *out = v;
    *n_out = n_sys + n;
    return cv_ok();
}

cv_status cv3_llm_with_system_prompt(const bpe_tokenizer *tok, const int32_t *ids, int n,
                                     int32_t **out, int *n_out)
{
    *out = NULL;
    *n_out = 0;
    int32_t *sys = NULL;
    int n_sys = 0;
    if (!cv3_llm_has_endofprompt(ids, n)) {
        cv_status s = cv3_llm_system_prompt_ids(tok, &sys, &n_sys);
        if (!cv_is_ok(&s)) return s;
    }
    cv_status s = cv3_llm_prepend_system(sys, n_sys, ids, n, out, n_out);
    free(sys);
    return s;
}

bool cv3_silent_filter_keep(cv3_silent_filter *f, int32_t token)
{
    static const int32_t SILENT[] = {1, 2, 28, 29, 55, 248, 494, 2241, 2242, 2322, 2323};
    bool silent = false;
    for (size_t i = 0; i < sizeof SILENT / sizeof *SILENT; i++) silent |= token == SILENT[i];
    if (!silent) {
        f->run = 0;
        return true;
    }
    return ++f->run <= 5;
}
