/* Parity checks of the speech-token LM: greedy decoding of the golden
 * inputs must give exactly llm_tokens, and every step's log-prob row must
 * match llm_logp (finite entries within tolerance, -inf exactly where the
 * reference has -inf). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/v1/llm.h"
#include "model/v1/llm_yaml.h"
#include "model/io/pt_load.h"
#include "parity.h"

/* Information only (not a pass/fail check): the same decoding with 8-bit
 * weights, teacher-forced along the reference tokens so every row is
 * compared on the same history. */
static void int8_info(llm_model *m, const llm_input *in, llm_decode_options o,
                      const npy_array *tokens, const npy_array *logp)
{
    cv_status s = llm_quantize(m);
    if (!cv_is_ok(&s)) {
        printf("llm_logp_int8: %s\n", s.message);
        return;
    }
    int cols = (int)logp->shape[1], cap = (int)logp->shape[0];
    int32_t *forced = parity_tokens(tokens), *out8 = NULL;
    parity_rows rows8 = {.cols = cols, .cap = cap};
    rows8.data = malloc((size_t)cap * cols * sizeof(float));
    o.forced = forced;
    o.n_forced = (int)tokens->count;
    o.user = &rows8;
    int n8 = 0;
    if (forced && rows8.data) s = llm_generate(m, in, &o, &out8, &n8);
    if (forced && rows8.data && cv_is_ok(&s)) {
        int agree = 0;
        for (int i = 0; i < rows8.rows; i++)
            agree += llm_sample_greedy(rows8.data + (size_t)i * cols, cols) ==
                     llm_sample_greedy(logp->data + (size_t)i * cols, cols);
        printf("%-24s max_abs_err=%.3e  (info only: int8 weights, teacher-forced; argmax "
               "agrees on %d of %d steps)\n",
               "llm_logp_int8", parity_logp_error(rows8.data, logp->data, (size_t)rows8.rows * cols),
               agree, rows8.rows);
    }
    free(forced), free(out8), free(rows8.data);
}

static void run_llm(parity_ctx *ctx)
{
    static const char *const need[] = {"llm_text", "llm_prompt_text", "llm_prompt_speech_token",
                                       "llm_embedding", "llm_tokens", "llm_logp"};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++)
        if (!parity_has(ctx, need[i])) {
            parity_skip(ctx, "llm", "no llm_* golden arrays");
            return;
        }
    char path[4096];
    llm_config cfg;
    cv_status s = llm_config_from_yaml(ctx->yaml, &cfg);
    if (!cv_is_ok(&s)) {
        parity_fail(ctx, "llm_config", s.message);
        return;
    }
    pt_dict sd = {0};
    s = pt_load(parity_path(ctx, "llm.pt", path, sizeof path), &sd);
    if (!cv_is_ok(&s)) {
        parity_fail(ctx, "llm_load", s.message);
        return;
    }
    llm_model *m = NULL;
    s = llm_load(&sd, &cfg, &m);
    if (!cv_is_ok(&s)) {
        parity_fail(ctx, "llm_load", s.message);
        pt_free(&sd);
        return;
    }
    npy_array text = {0}, ptext = {0}, pspeech = {0}, emb = {0}, tokens = {0}, logp = {0};
    int32_t *t = NULL, *pt = NULL, *ps = NULL, *out = NULL;
    parity_rows rows = {0};
    if (!parity_load(ctx, "llm_text", &text) || !parity_load(ctx, "llm_prompt_text", &ptext) ||
        !parity_load(ctx, "llm_prompt_speech_token", &pspeech) ||
        !parity_load(ctx, "llm_embedding", &emb) || !parity_load(ctx, "llm_tokens", &tokens) ||
        !parity_load(ctx, "llm_logp", &logp))
        goto done;
    t = parity_tokens(&text), pt = parity_tokens(&ptext), ps = parity_tokens(&pspeech);
    rows.cols = cfg.speech_token_size + 1;
    rows.cap = logp.ndim == 2 ? (int)logp.shape[0] : 0;
    rows.data = malloc((size_t)(rows.cap ? rows.cap : 1) * rows.cols * sizeof(float));
    if (!t || !pt || !ps || !rows.data || logp.ndim != 2 || logp.shape[1] != rows.cols ||
        (int)emb.count != cfg.spk_embed_dim) {
        parity_fail(ctx, "llm", "golden arrays have unexpected shapes");
        goto done;
    }
    llm_input in = {.text = t, .n_text = (int)text.count, .prompt_text = pt,
                    .n_prompt_text = (int)ptext.count, .prompt_speech = ps,
                    .n_prompt_speech = (int)pspeech.count, .embedding = emb.data};
    llm_decode_options o = llm_decode_defaults();
    o.mode = LLM_SAMPLE_GREEDY;
    o.on_logp = parity_keep_row;
    o.user = &rows;
    int n = 0;
    s = llm_generate(m, &in, &o, &out, &n);
    if (!cv_is_ok(&s)) {
        parity_fail(ctx, "llm_generate", s.message);
        goto done;
    }
    /* tokens: exact; the error reported is the number of differing positions */
    int mism = n == (int)tokens.count ? 0 : abs(n - (int)tokens.count);
    for (int i = 0; i < n && i < (int)tokens.count; i++)
        mism += out[i] != (int32_t)tokens.idata[i];
    if (mism) printf("llm_tokens: %d of %zu tokens differ (got %d tokens)\n", mism, tokens.count, n);
    parity_report(ctx, "llm_tokens", mism ? (double)mism : 0.0);
    if (rows.rows != rows.cap) {
        char why[128];
        snprintf(why, sizeof why, "%d log-prob rows, reference has %d", rows.rows, rows.cap);
        parity_fail(ctx, "llm_logp", why);
    } else {
        parity_report(ctx, "llm_logp",
                      parity_logp_error(rows.data, logp.data, (size_t)rows.rows * rows.cols));
    }
    /* Information only (not a pass/fail check): the same decoding with
     * 8-bit weights, teacher-forced along the reference tokens so every
     * row is compared on the same history. */
    if (rows.rows == rows.cap) int8_info(m, &in, o, &tokens, &logp);
done:
    free(t), free(pt), free(ps), free(out), free(rows.data);
    npy_free(&text), npy_free(&ptext), npy_free(&pspeech), npy_free(&emb), npy_free(&tokens);
    npy_free(&logp);
    llm_free(m);
    pt_free(&sd);
}

const parity_group parity_group_llm = {"llm", CV_FAMILY_V1, run_llm};
