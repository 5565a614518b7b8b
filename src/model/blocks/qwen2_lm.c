/* Qwen2LM / CosyVoice3LM: weights, prompt assembly and the decoding loop. */
#include "model/blocks/qwen2_lm.h"

#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/io/pt_bind.h"
#include "nn/matmul.h"
#include "nn/matvec.h"
#include "nn/ops.h"

struct qwen2_lm {
    qwen2_lm_config cfg;
    qwen2 *qwen;
    const float *llm_embedding;    /* [2][hidden] (v2), NULL for v3 */
    const float *speech_embedding; /* [n_speech_rows][hidden] */
    const float *dec_w, *dec_b;    /* [n_speech_rows][hidden], dec_b NULL without bias */
    nn_q8 dec_q8;                  /* after qwen2_lm_quantize */
    pt_dict owned;                 /* qwen2_lm_own_weights */
    const pt_dict *registered;     /* weights registered for bf16 (pt_weights_register) */
};

static cv_status check_layout(const qwen2_lm_layout *l)
{
    int S = l->speech_token_size, R = l->n_speech_rows;
    bool ok = S > 0 && R > S && l->eos >= S && l->eos < R && l->fill >= S && l->fill < R &&
              l->stop_from >= S && l->stop_to <= R && l->stop_from < l->stop_to &&
              l->min_len_masked >= 0 && l->min_len_masked < R && l->mix_text > 0 &&
              l->mix_speech > 0 &&
              (l->sos_task_in_speech_table
                   ? l->sos_row >= 0 && l->sos_row < R && l->task_row >= 0 && l->task_row < R
                   : l->sos_row >= 0 && l->sos_row < 2 && l->task_row >= 0 && l->task_row < 2);
    return ok ? cv_ok() : cv_error(CV_INVALID_ARGUMENT, "llm: inconsistent token layout");
}

cv_status qwen2_lm_load(const pt_dict *sd, const qwen2_lm_config *cfg, qwen2_lm **out)
{
    *out = NULL;
    cv_status s = check_layout(&cfg->layout);
    if (!cv_is_ok(&s)) return s;
    qwen2_lm *m = calloc(1, sizeof *m);
    if (!m) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    m->cfg = *cfg;
    const qwen2_lm_layout *l = &cfg->layout;
    int H = cfg->qwen.hidden, R = l->n_speech_rows;
    s = qwen2_load(sd, "llm.model.model.", &cfg->qwen, &m->qwen);
    if (cv_is_ok(&s) && !l->sos_task_in_speech_table)
        s = pt_bind(sd, "", "llm_embedding.weight", 2, H, &m->llm_embedding);
    if (cv_is_ok(&s)) s = pt_bind(sd, "", "speech_embedding.weight", R, H, &m->speech_embedding);
    if (cv_is_ok(&s)) s = pt_bind(sd, "", "llm_decoder.weight", R, H, &m->dec_w);
    if (cv_is_ok(&s) && l->decoder_bias) s = pt_bind(sd, "", "llm_decoder.bias", R, 0, &m->dec_b);
    if (cv_is_ok(&s) && !l->decoder_bias && pt_find(sd, "llm_decoder.bias"))
        s = cv_error(CV_INVALID_ARGUMENT, "llm: llm_decoder has a bias this model family "
                     "does not use; is the directory's yaml the right family?");
    /* under --engine-opt precision=bf16 the prompt pass's GEMMs use bf16
     * copies (token-by-token decoding stays float32 or int8) */
    if (cv_is_ok(&s)) {
        if (pt_weights_register(sd)) m->registered = sd;
        else s = cv_error(CV_RESOURCE_EXHAUSTED, "llm: out of memory for bf16 weights");
    }
    if (!cv_is_ok(&s)) {
        qwen2_lm_free(m);
        return s;
    }
    *out = m;
    return cv_ok();
}

cv_status qwen2_lm_quantize(qwen2_lm *m)
{
    cv_status s = qwen2_quantize(m->qwen);
    if (!cv_is_ok(&s)) return s;
    if (!m->dec_q8.q &&
        !nn_q8_quantize(m->dec_w, m->cfg.layout.n_speech_rows, m->cfg.qwen.hidden, &m->dec_q8))
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory quantizing weights");
    return cv_ok();
}

void qwen2_lm_free(qwen2_lm *m)
{
    if (!m) return;
    if (m->registered) pt_weights_unregister(m->registered);
    nn_q8_free(&m->dec_q8);
    qwen2_free(m->qwen);
    pt_free(&m->owned);
    free(m);
}

void qwen2_lm_own_weights(qwen2_lm *m, pt_dict *sd)
{
    pt_free(&m->owned);
    m->owned = *sd;
    memset(sd, 0, sizeof *sd);
    if (m->registered == sd) m->registered = &m->owned; /* the same tensors, moved */
}

const qwen2_lm_config *qwen2_lm_cfg(const qwen2_lm *m) { return &m->cfg; }
const qwen2 *qwen2_lm_decoder(const qwen2_lm *m) { return m->qwen; }

const float *qwen2_lm_row(const qwen2_lm *m, qwen2_lm_table table, int row)
{
    int H = m->cfg.qwen.hidden;
    switch (table) {
    case QWEN2_LM_LLM_EMBEDDING:
        return m->llm_embedding && row >= 0 && row < 2 ? m->llm_embedding + (size_t)row * H : NULL;
    case QWEN2_LM_TEXT:
        return qwen2_embedding(m->qwen, row);
    case QWEN2_LM_SPEECH:
        return row >= 0 && row < m->cfg.layout.n_speech_rows
                   ? m->speech_embedding + (size_t)row * H
                   : NULL;
    }
    return NULL;
}

void qwen2_lm_sos(const qwen2_lm *m, qwen2_lm_table *table, int *row)
{
    *table = m->cfg.layout.sos_task_in_speech_table ? QWEN2_LM_SPEECH : QWEN2_LM_LLM_EMBEDDING;
    *row = m->cfg.layout.sos_row;
}

void qwen2_lm_task(const qwen2_lm *m, qwen2_lm_table *table, int *row)
{
    *table = m->cfg.layout.sos_task_in_speech_table ? QWEN2_LM_SPEECH : QWEN2_LM_LLM_EMBEDDING;
    *row = m->cfg.layout.task_row;
}

void qwen2_lm_logp(const qwen2_lm *m, const float *h, float *logp, nn_pool *pool)
{
    int R = m->cfg.layout.n_speech_rows;
    if (m->dec_q8.q) nn_q8_matvec(pool, &m->dec_q8, m->dec_b, h, logp);
    else nn_matvec(pool, m->dec_w, m->dec_b, R, m->cfg.qwen.hidden, h, logp);
    nn_log_softmax_rows(logp, 1, R);
}

bool qwen2_lm_is_stop(const qwen2_lm *m, int id)
{
    return id >= m->cfg.layout.stop_from && id < m->cfg.layout.stop_to;
}

cv_status qwen2_lm_check_text(const qwen2_lm *m, const int32_t *ids, int n, const char *what)
{
    if (n < 0) return cv_error(CV_INVALID_ARGUMENT, "llm: negative %s length", what);
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= m->cfg.qwen.vocab)
            return cv_error(CV_INVALID_ARGUMENT, "llm: %s id %d is outside the vocabulary (0..%d)",
                            what, (int)ids[i], m->cfg.qwen.vocab - 1);
    return cv_ok();
}

cv_status qwen2_lm_check_speech(const qwen2_lm *m, const int32_t *ids, int n, const char *what)
{
    if (n < 0) return cv_error(CV_INVALID_ARGUMENT, "llm: negative %s length", what);
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= m->cfg.layout.speech_token_size)
            return cv_error(CV_INVALID_ARGUMENT, "llm: %s token %d is not a speech token (0..%d)",
                            what, (int)ids[i], m->cfg.layout.speech_token_size - 1);
    return cv_ok();
}

static cv_status check_input(const qwen2_lm *m, const qwen2_lm_input *in)
{
    if (in->n_text < 1) return cv_error(CV_INVALID_ARGUMENT, "llm: no text tokens");
    cv_status s = qwen2_lm_check_text(m, in->text, in->n_text, "text");
    if (cv_is_ok(&s)) s = qwen2_lm_check_text(m, in->prompt_text, in->n_prompt_text, "prompt text");
    if (cv_is_ok(&s))
        s = qwen2_lm_check_speech(m, in->prompt_speech, in->n_prompt_speech, "prompt speech");
    if (!cv_is_ok(&s)) return s;
    int32_t need = m->cfg.layout.required_text_id;
    if (need < 0) return cv_ok();
    for (int i = 0; i < in->n_prompt_text; i++)
        if (in->prompt_text[i] == need) return cv_ok();
    for (int i = 0; i < in->n_text; i++)
        if (in->text[i] == need) return cv_ok();
    return cv_error(CV_INVALID_ARGUMENT,
                    "llm: this model needs its text marker %d (<|endofprompt|>) in the prompt "
                    "text or the text, ending the instruction or system prompt (e.g. \"You are a "
                    "helpful assistant.<|endofprompt|>\")",
                    (int)need);
}

/* [sos, prompt_text ++ text, task_id, prompt speech] as rows [*n][hidden]. */
static cv_status build_prefix(const qwen2_lm *m, const qwen2_lm_input *in, float **rows, int *n)
{
    int H = m->cfg.qwen.hidden;
    int L = 1 + in->n_prompt_text + in->n_text + 1 + in->n_prompt_speech;
    float *x = malloc((size_t)L * H * sizeof(float));
    if (!x) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    qwen2_lm_table t;
    int r, k = 0;
#define PUT(table, row) memcpy(x + (size_t)(k++) * H, qwen2_lm_row(m, table, row), (size_t)H * sizeof(float))
    qwen2_lm_sos(m, &t, &r);
    PUT(t, r);
    for (int i = 0; i < in->n_prompt_text; i++) PUT(QWEN2_LM_TEXT, in->prompt_text[i]);
    for (int i = 0; i < in->n_text; i++) PUT(QWEN2_LM_TEXT, in->text[i]);
    qwen2_lm_task(m, &t, &r);
    PUT(t, r);
    for (int i = 0; i < in->n_prompt_speech; i++) PUT(QWEN2_LM_SPEECH, in->prompt_speech[i]);
#undef PUT
    *rows = x;
    *n = L;
    return cv_ok();
}

/* nx rows through the decoder in blocks of LLM_PREFILL_CHUNK, polling the
 * stop between blocks (at full size a prompt of a few hundred rows takes
 * seconds; one step over all of it could not be interrupted). */
static cv_status feed(const qwen2_lm *m, qwen2_state *st, const float *x, int nx,
                      const cv_stop *stop, float *h)
{
    int H = m->cfg.qwen.hidden;
    cv_status s = cv_ok();
    for (int done = 0; done < nx && cv_is_ok(&s);) {
        int k = nx - done < LLM_PREFILL_CHUNK ? nx - done : LLM_PREFILL_CHUNK;
        if (done > 0 && cv_stop_requested(stop))
            s = cv_error(CV_CANCELLED, "llm decoding cancelled");
        else
            s = qwen2_step(m->qwen, st, x + (size_t)done * H, k, h + (size_t)done * H);
        done += k;
    }
    return s;
}

cv_status qwen2_lm_generate(const qwen2_lm *m, const qwen2_lm_input *in,
                            const llm_decode_options *o, int32_t **tokens, int *n_tokens)
{
    *tokens = NULL;
    *n_tokens = 0;
    cv_status s = check_input(m, in);
    if (!cv_is_ok(&s)) return s;
    const qwen2_lm_layout *l = &m->cfg.layout;
    int H = m->cfg.qwen.hidden, R = l->n_speech_rows;
    if (!llm_forced_valid(o, R)) return cv_error(CV_INVALID_ARGUMENT, "llm: forced token out of range");
    int min_len, max_len;
    llm_length_limits(o, in->n_text, &min_len, &max_len);

    float *prefix = NULL, *h = NULL, *logp = NULL;
    int32_t *out = NULL;
    int L = 0, n = 0;
    s = build_prefix(m, in, &prefix, &L);
    if (!cv_is_ok(&s)) return s;
    int threads = o->n_threads > 0 ? o->n_threads : nn_get_threads();
    nn_pool *pool = threads > 1 ? nn_pool_new(threads) : NULL;
    qwen2_state *st = qwen2_state_new(m->qwen, pool);
    h = malloc((size_t)L * H * sizeof(float));
    logp = malloc((size_t)R * sizeof(float));
    out = malloc((size_t)(max_len > 0 ? max_len : 1) * sizeof(int32_t));
    if (!st || !h || !logp || !out) {
        s = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    llm_picker pick = llm_picker_new(o, &m->cfg.sampling, l->min_len_masked, min_len);
    const float *x = prefix;
    int nx = L;
    for (int i = 0; i < max_len; i++) {
        if ((o->cancel && atomic_load(o->cancel)) || cv_stop_requested(o->stop)) {
            s = cv_error(CV_CANCELLED, "llm decoding cancelled");
            break;
        }
        s = feed(m, st, x, nx, o->stop, h);
        if (!cv_is_ok(&s)) break;
        qwen2_lm_logp(m, h + (size_t)(nx - 1) * H, logp, pool);
        if (o->no_stop)
            for (int k = l->stop_from; k < l->stop_to; k++) logp[k] = -INFINITY;
        int top = llm_pick(&pick, i, logp, R, out, n);
        if (top < 0) {
            s = cv_error(CV_INTERNAL, "llm: no token can be sampled (all scores -inf)");
            break;
        }
        if (qwen2_lm_is_stop(m, top)) break;
        out[n++] = top;
        if (o->on_token && !o->on_token(o->user, top)) break;
        x = qwen2_lm_row(m, QWEN2_LM_SPEECH, top);
        nx = 1;
    }
done:
    qwen2_state_free(st);
    nn_pool_free(pool);
    free(prefix), free(h), free(logp);
    if (out && n > 0) {
        *tokens = out;
        *n_tokens = n;
    } else {
        free(out);
    }
    return s;
}
