/* Parity of the Qwen2 speech-token LM of CosyVoice2 and 3 (group llm for v2
 * and v3 directories). Every case the directory holds is run: for prefix P
 * (v2_ or v3_, from the family), each P llm[_CASE]_tokens.npy with its
 * _text, _logp and, when present, _prompt_text and _prompt_speech_token.
 * Greedy decoding must give exactly the tokens, and every step's log-prob
 * row the reference's (finite entries within tolerance, -inf exactly where
 * the reference has -inf). For v3 also: the model layer's LM run
 * (v3_tts_lm_raw_tokens: greedy except the steps forced to a silent token,
 * with v3_stream_prompt_token as prompt) and CosyVoice3Model's silent-token
 * filter (v3_tts_lm_tokens). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/v2/llm.h"
#include "model/v3/llm.h"
#include "parity.h"
#include "parity_qwen2.h"

/* Greedy decoding of `in`, optionally forced (forced[i] = -1: free) and
 * keeping the rows (may be NULL). */
static cv_status greedy(qwen2_lm *m, const qwen2_lm_input *in, const int32_t *forced,
                        int n_forced, parity_rows *rows, int32_t **out, int *n)
{
    llm_decode_options o = llm_decode_defaults();
    o.mode = LLM_SAMPLE_GREEDY;
    o.on_logp = rows ? parity_keep_row : NULL;
    o.user = rows;
    o.forced = forced;
    o.n_forced = n_forced;
    return qwen2_lm_generate(m, in, &o, out, n);
}

static const char *prefix_of(const parity_ctx *ctx) { return ctx->family == CV_FAMILY_V3 ? "v3_" : "v2_"; }

/* Loads <stem>_<what>.npy as ids; an absent optional array is empty. */
static bool load_ids(parity_ctx *ctx, const char *stem, const char *what, bool optional,
                     int32_t **ids, int *n)
{
    char name[256];
    snprintf(name, sizeof name, "%s_%s", stem, what);
    *ids = NULL, *n = 0;
    if (optional && !parity_has(ctx, name)) return true;
    npy_array a = {0};
    if (!parity_load(ctx, name, &a)) return false;
    *ids = parity_tokens(&a);
    *n = (int)a.count;
    npy_free(&a);
    return *ids != NULL;
}

static int count_mismatch(const int32_t *a, int na, const int32_t *b, int nb)
{
    int m = na > nb ? na - nb : nb - na;
    for (int i = 0; i < na && i < nb; i++) m += a[i] != b[i];
    return m;
}

/* Information only: the same case with 8-bit weights, teacher-forced along
 * the reference tokens so every row is compared on the same history. */
static void int8_info(const char *name, qwen2_lm *m8, const qwen2_lm_input *in,
                      const int32_t *ref_tokens, int n_ref, const npy_array *logp)
{
    int cols = (int)logp->shape[1], cap = (int)logp->shape[0];
    parity_rows rows = {.cols = cols, .cap = cap};
    rows.data = malloc((size_t)cap * cols * sizeof(float));
    int32_t *out = NULL;
    int n = 0;
    cv_status s = rows.data ? greedy(m8, in, ref_tokens, n_ref, &rows, &out, &n)
                            : cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    if (cv_is_ok(&s) && rows.rows == cap) {
        int agree = 0;
        for (int i = 0; i < cap; i++)
            agree += llm_sample_greedy(rows.data + (size_t)i * cols, cols) ==
                     llm_sample_greedy(logp->data + (size_t)i * cols, cols);
        char label[96];
        snprintf(label, sizeof label, "%s_int8", name);
        printf("%-24s max_abs_err=%.3e  (info only: int8 weights, teacher-forced; argmax "
               "agrees on %d of %d steps)\n",
               label, parity_logp_error(rows.data, logp->data, (size_t)cap * cols), agree, cap);
    }
    free(out), free(rows.data);
}

/* One case: <stem>_tokens and friends, name = stem without the prefix. */
static void run_case(parity_ctx *ctx, qwen2_lm *m, qwen2_lm *m8, const char *stem)
{
    const char *name = stem + strlen(prefix_of(ctx));
    int32_t *text = NULL, *ptext = NULL, *pspeech = NULL, *ref = NULL, *out = NULL;
    int n_text, n_ptext, n_pspeech, n_ref, n = 0;
    npy_array logp = {0};
    parity_rows rows = {0};
    char lname[128];
    snprintf(lname, sizeof lname, "%.64s_logp", stem);
    if (!load_ids(ctx, stem, "text", false, &text, &n_text) ||
        !load_ids(ctx, stem, "prompt_text", true, &ptext, &n_ptext) ||
        !load_ids(ctx, stem, "prompt_speech_token", true, &pspeech, &n_pspeech) ||
        !load_ids(ctx, stem, "tokens", false, &ref, &n_ref) || !parity_load(ctx, lname, &logp))
        goto done;
    int R = qwen2_lm_cfg(m)->layout.n_speech_rows;
    if (logp.ndim != 2 || logp.shape[1] != R) {
        parity_fail(ctx, name, "log-prob rows do not have the model's n_speech_rows entries");
        goto done;
    }
    rows.cols = R;
    rows.cap = (int)logp.shape[0];
    rows.data = malloc((size_t)(rows.cap ? rows.cap : 1) * R * sizeof(float));
    qwen2_lm_input in = {.text = text, .n_text = n_text, .prompt_text = ptext,
                         .n_prompt_text = n_ptext, .prompt_speech = pspeech,
                         .n_prompt_speech = n_pspeech};
    cv_status s = rows.data ? greedy(m, &in, NULL, 0, &rows, &out, &n)
                            : cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    char label[128];
    snprintf(label, sizeof label, "%s_tokens", name);
    if (!cv_is_ok(&s)) {
        parity_fail(ctx, label, s.message);
        goto done;
    }
    int mism = count_mismatch(out, n, ref, n_ref);
    if (mism) printf("%s: %d of %d tokens differ (got %d tokens)\n", label, mism, n_ref, n);
    parity_report(ctx, label, (double)mism);
    snprintf(label, sizeof label, "%s_logp", name);
    if (rows.rows != rows.cap) {
        char why[128];
        snprintf(why, sizeof why, "%d log-prob rows, reference has %d", rows.rows, rows.cap);
        parity_fail(ctx, label, why);
    } else {
        parity_report(ctx, label,
                      parity_logp_error(rows.data, logp.data, (size_t)rows.rows * rows.cols));
        if (m8) int8_info(name, m8, &in, ref, n_ref, &logp);
    }
done:
    free(text), free(ptext), free(pspeech), free(ref), free(out), free(rows.data);
    npy_free(&logp);
}

/* The case stems (<prefix>llm, <prefix>llm_noprompt, ...) in name order. */
static int find_cases(const parity_ctx *ctx, char stems[][64], int cap)
{
    const char *p = prefix_of(ctx);
    char head[16];
    snprintf(head, sizeof head, "%sllm", p);
    DIR *d = opendir(ctx->dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) && n < cap;) {
        size_t len = strlen(e->d_name), hl = strlen(head);
        const char *tail = "_tokens.npy";
        if (len > hl + 11 && !strncmp(e->d_name, head, hl) &&
            (e->d_name[hl] == '_') && !strcmp(e->d_name + len - 11, tail) && len - 11 < 64) {
            memcpy(stems[n], e->d_name, len - 11);
            stems[n][len - 11] = 0;
            n++;
        } else if (len == hl + 11 && !strncmp(e->d_name, head, hl) &&
                   !strcmp(e->d_name + hl, tail)) {
            snprintf(stems[n++], 64, "%s", head);
        }
    }
    if (d) closedir(d);
    for (int i = 1; i < n; i++) /* insertion sort: a handful of names */
        for (int j = i; j > 0 && strcmp(stems[j - 1], stems[j]) > 0; j--) {
            char t[64];
            memcpy(t, stems[j], 64), memcpy(stems[j], stems[j - 1], 64), memcpy(stems[j - 1], t, 64);
        }
    return n;
}

/* v3: the model layer's LM run and the silent-token filter. */
static void run_tts_lm(parity_ctx *ctx, qwen2_lm *m)
{
    if (!parity_has(ctx, "v3_tts_lm_raw_tokens")) {
        parity_skip(ctx, "tts_lm_raw_tokens", "no v3_tts_lm_raw_tokens");
        return;
    }
    int32_t *text = NULL, *ptext = NULL, *pspeech = NULL, *raw = NULL, *kept = NULL, *out = NULL;
    int32_t *forced = NULL;
    int n_text, n_ptext, n_pspeech, n_raw, n_kept, n = 0;
    if (!load_ids(ctx, "v3_llm", "text", false, &text, &n_text) ||
        !load_ids(ctx, "v3_llm", "prompt_text", false, &ptext, &n_ptext) ||
        !load_ids(ctx, "v3_stream", "prompt_token", false, &pspeech, &n_pspeech) ||
        !load_ids(ctx, "v3_tts_lm", "raw_tokens", false, &raw, &n_raw) ||
        !load_ids(ctx, "v3_tts_lm", "tokens", false, &kept, &n_kept))
        goto done;
    /* the reference forced one run of a silent token (2) into an otherwise
     * greedy decoding: force the longest such run, leave the rest free */
    forced = malloc((size_t)n_raw * sizeof *forced);
    if (!forced) goto done;
    int best = 0, best_at = 0;
    for (int i = 0, run = 0; i < n_raw; i++) {
        run = raw[i] == 2 ? run + 1 : 0;
        if (run > best) best = run, best_at = i - run + 1;
    }
    for (int i = 0; i < n_raw; i++) forced[i] = i >= best_at && i < best_at + best ? 2 : -1;
    qwen2_lm_input in = {.text = text, .n_text = n_text, .prompt_text = ptext,
                         .n_prompt_text = n_ptext, .prompt_speech = pspeech,
                         .n_prompt_speech = n_pspeech};
    cv_status s = greedy(m, &in, forced, n_raw, NULL, &out, &n);
    if (!cv_is_ok(&s)) {
        parity_fail(ctx, "tts_lm_raw_tokens", s.message);
        goto done;
    }
    int mism = count_mismatch(out, n, raw, n_raw);
    printf("tts_lm_raw_tokens: %d tokens (steps %d-%d forced to 2), %d differ\n", n, best_at,
           best_at + best - 1, mism);
    parity_report(ctx, "tts_lm_raw_tokens", (double)mism);
    cv3_silent_filter f = {0};
    int k = 0;
    for (int i = 0; i < n_raw; i++)
        if (cv3_silent_filter_keep(&f, raw[i])) raw[k++] = raw[i];
    mism = count_mismatch(raw, k, kept, n_kept);
    printf("tts_lm_tokens: %d of %d tokens kept by the silent-token filter, %d differ\n", k,
           n_raw, mism);
    parity_report(ctx, "tts_lm_tokens", (double)mism);
done:
    free(text), free(ptext), free(pspeech), free(raw), free(kept), free(out), free(forced);
}

/* Loads the directory's LM (v2 or v3 by family); NULL after reporting. */
qwen2_lm *parity_open_qwen2_lm(parity_ctx *ctx, bool int8)
{
    qwen2_lm *m = NULL;
    cv_status s = ctx->family == CV_FAMILY_V3 ? cv3_llm_open(ctx->dir, ctx->yaml, NULL, &m)
                                              : cv2_llm_open(ctx->dir, ctx->yaml, NULL, &m);
    if (cv_is_ok(&s) && int8) s = qwen2_lm_quantize(m);
    if (!cv_is_ok(&s)) {
        parity_fail(ctx, "llm_load", s.message);
        qwen2_lm_free(m);
        return NULL;
    }
    return m;
}

static void run_llm(parity_ctx *ctx)
{
    char stems[16][64];
    int n = find_cases(ctx, stems, 16);
    if (n == 0) {
        parity_skip(ctx, "llm", "no llm_*tokens.npy golden arrays");
        return;
    }
    qwen2_lm *m = parity_open_qwen2_lm(ctx, false);
    qwen2_lm *m8 = m ? parity_open_qwen2_lm(ctx, true) : NULL;
    if (!m || !m8) {
        qwen2_lm_free(m);
        return;
    }
    for (int i = 0; i < n; i++) run_case(ctx, m, m8, stems[i]);
    if (ctx->family == CV_FAMILY_V3) run_tts_lm(ctx, m);
    qwen2_lm_free(m);
    qwen2_lm_free(m8);
}

const parity_group parity_group_llm_qwen2 = {"llm", CV_FAMILY_V2 | CV_FAMILY_V3, run_llm};
