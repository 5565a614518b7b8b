/* TransformerLM (CosyVoice v1): weights, prompt assembly and the decoding loop. */
#include "model/v1/llm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/io/pt_bind.h"
#include "nn/matmul.h"
#include "nn/matvec.h"
#include "nn/ops.h"

struct llm_model {
    llm_config cfg;
    rel_encoder *text_encoder;
    rel_encoder *llm;
    const float *text_embedding;   /* [text_token_size][te_in] */
    const float *te_affine_w, *te_affine_b; /* [llm_in][te_out] */
    const float *llm_embedding;    /* [2][llm_in]: sos, task_id */
    const float *speech_embedding; /* [speech_token_size][llm_in] */
    const float *spk_w, *spk_b;    /* [llm_in][spk_dim] */
    const float *dec_w, *dec_b;    /* [speech_token_size+1][llm_out] */
    nn_q8 dec_q8;                  /* after llm_quantize */
    const pt_dict *registered;     /* weights registered for bf16 (pt_weights_register) */
};

enum { SOS = 0, TASK_ID = 1 };

cv_status llm_load(const pt_dict *sd, const llm_config *cfg, llm_model **out)
{
    *out = NULL;
    const llm_config *c = cfg;
    if (c->text_encoder.input_size != c->text_encoder_input_size ||
        c->llm.input_size != c->llm_input_size || c->llm.output_size != c->llm_output_size ||
        c->text_token_size < 1 || c->speech_token_size < 1 || c->spk_embed_dim < 1)
        return cv_error(CV_INVALID_ARGUMENT, "llm: inconsistent sizes");
    llm_model *m = calloc(1, sizeof *m);
    if (!m) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    m->cfg = *c;
    int te_out = c->text_encoder.output_size, li = c->llm_input_size;
    cv_status s = rel_encoder_load(sd, "text_encoder.", &c->text_encoder, &m->text_encoder);
    if (cv_is_ok(&s)) s = rel_encoder_load(sd, "llm.", &c->llm, &m->llm);
#define B(name, d0, d1, dst) \
    if (cv_is_ok(&s)) s = pt_bind(sd, "", name, d0, d1, dst)
    B("text_embedding.weight", c->text_token_size, c->text_encoder_input_size, &m->text_embedding);
    B("text_encoder_affine_layer.weight", li, te_out, &m->te_affine_w);
    B("text_encoder_affine_layer.bias", li, 0, &m->te_affine_b);
    B("llm_embedding.weight", 2, li, &m->llm_embedding);
    B("speech_embedding.weight", c->speech_token_size, li, &m->speech_embedding);
    B("spk_embed_affine_layer.weight", li, c->spk_embed_dim, &m->spk_w);
    B("spk_embed_affine_layer.bias", li, 0, &m->spk_b);
    B("llm_decoder.weight", c->speech_token_size + 1, c->llm_output_size, &m->dec_w);
    B("llm_decoder.bias", c->speech_token_size + 1, 0, &m->dec_b);
#undef B
    if (cv_is_ok(&s)) {
        if (pt_weights_register(sd)) m->registered = sd;
        else s = cv_error(CV_RESOURCE_EXHAUSTED, "llm: out of memory for bf16 weights");
    }
    if (!cv_is_ok(&s)) {
        llm_free(m);
        return s;
    }
    *out = m;
    return cv_ok();
}

cv_status llm_quantize(llm_model *m)
{
    cv_status s = rel_encoder_quantize(m->llm);
    if (!cv_is_ok(&s)) return s;
    if (!m->dec_q8.q &&
        !nn_q8_quantize(m->dec_w, m->cfg.speech_token_size + 1, m->cfg.llm_output_size,
                        &m->dec_q8))
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory quantizing weights");
    return cv_ok();
}

void llm_free(llm_model *m)
{
    if (!m) return;
    if (m->registered) pt_weights_unregister(m->registered);
    nn_q8_free(&m->dec_q8);
    rel_encoder_free(m->text_encoder);
    rel_encoder_free(m->llm);
    free(m);
}

const llm_config *llm_cfg(const llm_model *m) { return &m->cfg; }

int llm_eos(const llm_model *m) { return m->cfg.speech_token_size; }

static cv_status check_input(const llm_model *m, const llm_input *in)
{
    const llm_config *c = &m->cfg;
    if (in->n_text < 1) return cv_error(CV_INVALID_ARGUMENT, "llm: no text tokens");
    if (in->n_prompt_text < 0 || in->n_prompt_speech < 0)
        return cv_error(CV_INVALID_ARGUMENT, "llm: negative prompt length");
    for (int i = 0; i < in->n_text; i++)
        if (in->text[i] < 0 || in->text[i] >= c->text_token_size)
            return cv_error(CV_INVALID_ARGUMENT, "llm: text token %d out of range", in->text[i]);
    for (int i = 0; i < in->n_prompt_text; i++)
        if (in->prompt_text[i] < 0 || in->prompt_text[i] >= c->text_token_size)
            return cv_error(CV_INVALID_ARGUMENT, "llm: prompt text token %d out of range",
                            in->prompt_text[i]);
    for (int i = 0; i < in->n_prompt_speech; i++)
        if (in->prompt_speech[i] < 0 || in->prompt_speech[i] >= c->speech_token_size)
            return cv_error(CV_INVALID_ARGUMENT, "llm: prompt speech token %d out of range",
                            in->prompt_speech[i]);
    return cv_ok();
}

/* The LM's input rows [sos, spk?, text..., task_id, prompt speech...]
 * into *rows ([*n][llm_input_size], malloc'd). */
static cv_status build_prefix(const llm_model *m, const llm_input *in, const cv_stop *stop,
                              float **rows, int *n)
{
    const llm_config *c = &m->cfg;
    int li = c->llm_input_size, te_in = c->text_encoder_input_size;
    int te_out = c->text_encoder.output_size;
    int Lt = in->n_prompt_text + in->n_text;
    bool spk = in->embedding != NULL;
    int L = 1 + (spk ? 1 : 0) + Lt + 1 + in->n_prompt_speech;
    float *x = malloc((size_t)L * li * sizeof(float));
    float *temb = malloc((size_t)Lt * te_in * sizeof(float));
    float *tenc = malloc((size_t)Lt * te_out * sizeof(float));
    cv_status s = cv_ok();
    if (!x || !temb || !tenc) {
        s = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    for (int i = 0; i < Lt; i++) {
        int32_t id = i < in->n_prompt_text ? in->prompt_text[i] : in->text[i - in->n_prompt_text];
        memcpy(temb + (size_t)i * te_in, m->text_embedding + (size_t)id * te_in,
               (size_t)te_in * sizeof(float));
    }
    s = rel_encoder_forward_stop(m->text_encoder, temb, Lt,
                                 rel_encoder_cfg(m->text_encoder)->static_chunk_size, tenc, stop);
    if (!cv_is_ok(&s)) goto fail;

    float *row = x;
    memcpy(row, m->llm_embedding + (size_t)SOS * li, (size_t)li * sizeof(float));
    row += li;
    if (spk) {
        /* F.normalize: x / max(||x||_2, 1e-12) */
        int sd = c->spk_embed_dim;
        float *e = malloc((size_t)sd * sizeof(float));
        if (!e) {
            s = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
            goto fail;
        }
        double ss = 0;
        for (int i = 0; i < sd; i++) ss += (double)in->embedding[i] * in->embedding[i];
        float norm = (float)sqrt(ss);
        if (norm < 1e-12f) norm = 1e-12f;
        for (int i = 0; i < sd; i++) e[i] = in->embedding[i] / norm;
        nn_linear(e, 1, sd, m->spk_w, m->spk_b, li, row);
        free(e);
        row += li;
    }
    nn_linear(tenc, Lt, te_out, m->te_affine_w, m->te_affine_b, li, row);
    row += (size_t)Lt * li;
    memcpy(row, m->llm_embedding + (size_t)TASK_ID * li, (size_t)li * sizeof(float));
    row += li;
    for (int i = 0; i < in->n_prompt_speech; i++, row += li)
        memcpy(row, m->speech_embedding + (size_t)in->prompt_speech[i] * li,
               (size_t)li * sizeof(float));
    free(temb), free(tenc);
    *rows = x;
    *n = L;
    return cv_ok();
fail:
    free(x), free(temb), free(tenc);
    return s;
}

cv_status llm_generate(const llm_model *m, const llm_input *in, const llm_decode_options *o,
                       int32_t **tokens, int *n_tokens)
{
    *tokens = NULL;
    *n_tokens = 0;
    cv_status s = check_input(m, in);
    if (!cv_is_ok(&s)) return s;
    const llm_config *c = &m->cfg;
    int li = c->llm_input_size, lo = c->llm_output_size, V = c->speech_token_size + 1;
    int eos = c->speech_token_size;
    if (!llm_forced_valid(o, V)) return cv_error(CV_INVALID_ARGUMENT, "llm: forced token out of range");
    int min_len, max_len;
    llm_length_limits(o, in->n_text, &min_len, &max_len);

    float *prefix = NULL;
    int L = 0, n = 0;
    s = build_prefix(m, in, o->stop, &prefix, &L);
    if (!cv_is_ok(&s)) return s;
    int threads = o->n_threads > 0 ? o->n_threads : nn_get_threads();
    nn_pool *pool = threads > 1 ? nn_pool_new(threads) : NULL;
    rel_encoder_state *st = rel_encoder_state_new(m->llm, L + (max_len > 0 ? max_len : 1), pool);
    float *h = malloc((size_t)L * lo * sizeof(float));
    float *logp = malloc((size_t)V * sizeof(float));
    int32_t *out = malloc((size_t)(max_len > 0 ? max_len : 1) * sizeof(int32_t));
    if (!st || !h || !logp || !out) {
        s = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    llm_picker pick = llm_picker_new(o, &c->sampling, eos, min_len); /* eos held back */
    const float *x = prefix;
    int nx = L;
    for (int i = 0; i < max_len; i++) {
        if ((o->cancel && atomic_load(o->cancel)) || cv_stop_requested(o->stop)) {
            s = cv_error(CV_CANCELLED, "llm decoding cancelled");
            break;
        }
        /* the prefix (first step) in blocks, polling between them */
        for (int done = 0; done < nx && cv_is_ok(&s);) {
            int k = nx - done < LLM_PREFILL_CHUNK ? nx - done : LLM_PREFILL_CHUNK;
            if (done > 0 && cv_stop_requested(o->stop))
                s = cv_error(CV_CANCELLED, "llm decoding cancelled");
            else
                s = rel_encoder_step(m->llm, st, x + (size_t)done * li, k, h + (size_t)done * lo);
            done += k;
        }
        if (!cv_is_ok(&s)) break;
        const float *last = h + (size_t)(nx - 1) * lo;
        if (m->dec_q8.q) nn_q8_matvec(pool, &m->dec_q8, m->dec_b, last, logp);
        else nn_matvec(pool, m->dec_w, m->dec_b, V, lo, last, logp);
        nn_log_softmax_rows(logp, 1, V);
        int top = llm_pick(&pick, i, logp, V, out, n);
        if (top < 0) {
            s = cv_error(CV_INTERNAL, "llm: no token can be sampled (all scores -inf)");
            break;
        }
        if (top == eos) break;
        out[n++] = top;
        if (o->on_token && !o->on_token(o->user, top)) break;
        x = m->speech_embedding + (size_t)top * li;
        nx = 1;
    }
done:
    rel_encoder_state_free(st);
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

cv_status llm_score_full(const llm_model *m, const llm_input *in, const int32_t *history,
                         int n_history, float *logp)
{
    cv_status s = check_input(m, in);
    if (!cv_is_ok(&s)) return s;
    const llm_config *c = &m->cfg;
    int li = c->llm_input_size, lo = c->llm_output_size, V = c->speech_token_size + 1;
    for (int i = 0; i < n_history; i++)
        if (history[i] < 0 || history[i] >= c->speech_token_size)
            return cv_error(CV_INVALID_ARGUMENT, "llm: history token out of range");
    float *prefix = NULL;
    int L = 0;
    s = build_prefix(m, in, NULL, &prefix, &L);
    if (!cv_is_ok(&s)) return s;
    int T = L + n_history;
    float *x = realloc(prefix, (size_t)T * li * sizeof(float));
    float *h = malloc((size_t)T * lo * sizeof(float));
    if (!x || !h) {
        free(x ? x : prefix), free(h);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (int i = 0; i < n_history; i++)
        memcpy(x + (size_t)(L + i) * li, m->speech_embedding + (size_t)history[i] * li,
               (size_t)li * sizeof(float));
    /* the reference decodes under a lower-triangular mask */
    s = rel_encoder_forward_chunked(m->llm, x, T, 1, h);
    if (cv_is_ok(&s)) {
        nn_linear(h + (size_t)(T - 1) * lo, 1, lo, m->dec_w, m->dec_b, V, logp);
        nn_log_softmax_rows(logp, 1, V);
    }
    free(x), free(h);
    return s;
}
