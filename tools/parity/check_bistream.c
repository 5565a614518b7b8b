/* Parity of text streamed into the Qwen2 speech LM (Qwen2LM.inference_bistream,
 * group bistream for v2 and v3 directories): every case P bistream_CASE_*
 * of the directory (P = v2_ / v3_ by family) is fed its text in the
 * recorded pieces. The emitted tokens, every step's chosen id, kind, number
 * of fed positions and the positions themselves (table, row), the piece
 * each step ran in and the log-prob rows must match; the log-probs within
 * tolerance, everything else exactly. The same text fed one id per piece
 * (what the reference's front end does) must give the same tokens. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/blocks/qwen2_lm_bistream.h"
#include "parity.h"
#include "parity_qwen2.h"

typedef struct recorder {
    int cap, cols, steps, piece;
    int32_t *token, *kind, *fed_n, *piece_of;
    int32_t *feed; /* pairs */
    int n_feed, cap_feed;
    float *logp;
    bool overflow;
} recorder;

static void on_step(void *user, int step, qwen2_lm_step_kind kind, int32_t id,
                    const qwen2_lm_fed *fed, int n_fed)
{
    recorder *r = user;
    if (step >= r->cap || r->n_feed + n_fed > r->cap_feed) {
        r->overflow = true;
        return;
    }
    r->token[step] = id, r->kind[step] = (int32_t)kind, r->fed_n[step] = n_fed;
    r->piece_of[step] = r->piece;
    for (int i = 0; i < n_fed; i++) {
        r->feed[2 * r->n_feed] = (int32_t)fed[i].table;
        r->feed[2 * r->n_feed + 1] = fed[i].row;
        r->n_feed++;
    }
    if (step + 1 > r->steps) r->steps = step + 1;
}

static void on_logp(void *user, int step, const float *logp, int n)
{
    recorder *r = user;
    if (step < r->cap && n == r->cols) memcpy(r->logp + (size_t)step * n, logp, (size_t)n * sizeof(float));
}

typedef struct golden {
    npy_array a[11];
} golden;

enum { PT, PS, TEXT, PIECES, TOKENS, STEP_TOKEN, STEP_KIND, STEP_FED, FEED, STEP_PIECE, LOGP };
static const char *const PARTS[] = {"prompt_text", "prompt_speech_token", "text", "text_pieces",
                                    "tokens", "step_token", "step_kind", "step_fed", "feed",
                                    "step_piece", "logp"};

static int diff_ids(const int32_t *ours, int n_ours, const npy_array *ref)
{
    int n = (int)ref->count, m = n > n_ours ? n - n_ours : n_ours - n;
    for (int i = 0; i < n && i < n_ours; i++) m += ours[i] != (int32_t)ref->idata[i];
    return m;
}

/* Feeds the text in the given pieces; the recorder (may be NULL) sees every step. */
static cv_status run(const qwen2_lm *m, const int32_t *pt, int n_pt, const int32_t *ps, int n_ps,
                     const int32_t *text, const int32_t *pieces, int n_pieces, recorder *r,
                     int32_t **tokens, int *n_tokens)
{
    llm_decode_options o = llm_decode_defaults();
    o.mode = LLM_SAMPLE_GREEDY;
    o.on_logp = r ? on_logp : NULL;
    o.user = r;
    qwen2_lm_bistream_trace trace = {.on_step = on_step, .user = r};
    qwen2_lm_bistream *b = NULL;
    cv_status s = qwen2_lm_bistream_new(m, pt, n_pt, ps, n_ps, &o, r ? &trace : NULL, &b);
    int at = 0;
    for (int i = 0; cv_is_ok(&s) && i < n_pieces; i++) {
        if (r) r->piece = i;
        s = qwen2_lm_bistream_feed(b, text + at, pieces[i]);
        at += pieces[i];
    }
    if (r) r->piece = n_pieces;
    if (cv_is_ok(&s)) s = qwen2_lm_bistream_finish(b);
    if (cv_is_ok(&s)) {
        const int32_t *t = qwen2_lm_bistream_tokens(b, n_tokens);
        *tokens = malloc((size_t)(*n_tokens ? *n_tokens : 1) * sizeof **tokens);
        if (*tokens) memcpy(*tokens, t, (size_t)*n_tokens * sizeof **tokens);
    }
    qwen2_lm_bistream_free(b);
    return s;
}

static void run_case(parity_ctx *ctx, const qwen2_lm *m, const char *stem)
{
    const char *name = stem + 3; /* without v2_ / v3_ */
    golden g = {0};
    int32_t *ids[4] = {0}, *out = NULL, *out1 = NULL, *ones = NULL;
    recorder r = {0};
    char file[128], label[128];
    bool ok = true;
    for (int i = 0; i < 11 && ok; i++) {
        snprintf(file, sizeof file, "%.64s_%s", stem, PARTS[i]);
        ok = parity_load(ctx, file, &g.a[i]);
        if (ok && i != LOGP && !g.a[i].idata) {
            parity_fail(ctx, file, "not an integer array");
            ok = false;
        }
    }
    if (!ok) goto done;
    for (int i = 0; i < 4; i++) ids[i] = parity_tokens(&g.a[i]);
    int cols = qwen2_lm_cfg(m)->layout.n_speech_rows;
    if (g.a[LOGP].ndim != 2 || g.a[LOGP].shape[1] != cols) {
        parity_fail(ctx, name, "log-prob rows do not have the model's n_speech_rows entries");
        goto done;
    }
    r.cols = cols;
    r.cap = (int)g.a[STEP_TOKEN].count + 64;
    r.cap_feed = (int)g.a[FEED].count / 2 + 4096;
    r.token = calloc((size_t)r.cap, sizeof(int32_t)), r.kind = calloc((size_t)r.cap, sizeof(int32_t));
    r.fed_n = calloc((size_t)r.cap, sizeof(int32_t)), r.piece_of = calloc((size_t)r.cap, sizeof(int32_t));
    r.feed = calloc((size_t)r.cap_feed * 2, sizeof(int32_t));
    r.logp = calloc((size_t)r.cap * cols, sizeof(float));
    if (!r.token || !r.kind || !r.fed_n || !r.piece_of || !r.feed || !r.logp) goto done;
    int n_pt = (int)g.a[PT].count, n_ps = (int)g.a[PS].count, n_text = (int)g.a[TEXT].count;
    int n_pieces = (int)g.a[PIECES].count, n = 0, n1 = 0;
    cv_status s = run(m, ids[PT], n_pt, ids[PS], n_ps, ids[TEXT], ids[PIECES], n_pieces, &r, &out, &n);
    if (!cv_is_ok(&s) || r.overflow) {
        snprintf(label, sizeof label, "%s_tokens", name);
        parity_fail(ctx, label, r.overflow ? "far more steps than the reference" : s.message);
        goto done;
    }
    snprintf(label, sizeof label, "%s_tokens", name);
    int d = diff_ids(out, n, &g.a[TOKENS]);
    if (d) printf("%s: %d differ (%d tokens, reference %zu)\n", label, d, n, g.a[TOKENS].count);
    parity_report(ctx, label, (double)d);
    /* the schedule: chosen ids, kinds, positions fed, pieces */
    int sched = diff_ids(r.token, r.steps, &g.a[STEP_TOKEN]) + diff_ids(r.kind, r.steps, &g.a[STEP_KIND]) +
                diff_ids(r.fed_n, r.steps, &g.a[STEP_FED]) + diff_ids(r.feed, 2 * r.n_feed, &g.a[FEED]) +
                diff_ids(r.piece_of, r.steps, &g.a[STEP_PIECE]);
    snprintf(label, sizeof label, "%s_schedule", name);
    printf("%s: %d steps, %d positions fed (reference %zu, %zu), %d entries differ\n", label,
           r.steps, r.n_feed, g.a[STEP_TOKEN].count, g.a[FEED].count / 2, sched);
    parity_report(ctx, label, (double)sched);
    snprintf(label, sizeof label, "%s_logp", name);
    if (r.steps != (int)g.a[LOGP].shape[0])
        parity_fail(ctx, label, "step count differs from the reference");
    else
        parity_report(ctx, label, parity_logp_error(r.logp, g.a[LOGP].data, (size_t)r.steps * cols));
    /* one id per piece, as the reference's front end hands text over */
    ones = malloc((size_t)(n_text ? n_text : 1) * sizeof *ones);
    for (int i = 0; ones && i < n_text; i++) ones[i] = 1;
    s = ones ? run(m, ids[PT], n_pt, ids[PS], n_ps, ids[TEXT], ones, n_text, NULL, &out1, &n1)
             : cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    snprintf(label, sizeof label, "%s_one_id_pieces", name);
    if (!cv_is_ok(&s)) parity_fail(ctx, label, s.message);
    else parity_report(ctx, label, (double)diff_ids(out1, n1, &g.a[TOKENS]));
done:
    for (int i = 0; i < 11; i++) npy_free(&g.a[i]);
    for (int i = 0; i < 4; i++) free(ids[i]);
    free(out), free(out1), free(ones);
    free(r.token), free(r.kind), free(r.fed_n), free(r.piece_of), free(r.feed), free(r.logp);
}

static void run_bistream(parity_ctx *ctx)
{
    const char *prefix = ctx->family == CV_FAMILY_V3 ? "v3_bistream_" : "v2_bistream_";
    char stems[16][64];
    int n = 0;
    DIR *d = opendir(ctx->dir);
    for (struct dirent *e; d && (e = readdir(d)) && n < 16;) {
        size_t len = strlen(e->d_name), pl = strlen(prefix);
        if (len > pl + 11 && len - 11 < 64 && !strncmp(e->d_name, prefix, pl) &&
            !strcmp(e->d_name + len - 11, "_tokens.npy") &&
            !memchr(e->d_name + pl, '_', len - 11 - pl)) {
            memcpy(stems[n], e->d_name, len - 11);
            stems[n++][len - 11] = 0;
        }
    }
    if (d) closedir(d);
    if (n == 0) {
        parity_skip(ctx, "bistream", "no *_bistream_*_tokens.npy golden arrays");
        return;
    }
    for (int i = 1; i < n; i++) /* name order */
        for (int j = i; j > 0 && strcmp(stems[j - 1], stems[j]) > 0; j--) {
            char t[64];
            memcpy(t, stems[j], 64), memcpy(stems[j], stems[j - 1], 64), memcpy(stems[j - 1], t, 64);
        }
    qwen2_lm *m = parity_open_qwen2_lm(ctx, false);
    if (!m) return;
    for (int i = 0; i < n; i++) run_case(ctx, m, stems[i]);
    qwen2_lm_free(m);
}

const parity_group parity_group_bistream = {"bistream", CV_FAMILY_V2 | CV_FAMILY_V3, run_bistream};
