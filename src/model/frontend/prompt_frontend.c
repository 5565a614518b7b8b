#include "model/frontend/prompt_frontend.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/sinc_resample.h"
#include "model/frontend/frontend_feats.h"
#include "onnx/onnx_model.h"

typedef struct cache_entry {
    int16_t *pcm; /* the key: an exact copy of the recording, and its rate */
    size_t n;
    int rate;
    prompt_features feat;
    unsigned long last_used;
} cache_entry;

struct prompt_frontend {
    ox_model *campplus, *tokenizer;
    int tok_feats, tok_len, tok_indices; /* input/output indices of the tokenizer */
    fe_feats *feats;
    sinc_resampler *to_mel_rate; /* 16 kHz -> feat_extractor rate */
    pthread_mutex_t lock;
    cache_entry cache[PROMPT_FRONTEND_CACHE_SIZE];
    unsigned long tick, hits, misses;
};

void prompt_features_free(prompt_features *f)
{
    if (!f) return;
    free(f->speech_tokens);
    free(f->prompt_mel);
    memset(f, 0, sizeof *f);
}

void prompt_frontend_free(prompt_frontend *pf)
{
    if (!pf) return;
    ox_model_free(pf->campplus);
    ox_model_free(pf->tokenizer);
    fe_feats_free(pf->feats);
    sinc_resampler_free(pf->to_mel_rate);
    for (int i = 0; i < PROMPT_FRONTEND_CACHE_SIZE; i++) {
        free(pf->cache[i].pcm);
        prompt_features_free(&pf->cache[i].feat);
    }
    pthread_mutex_destroy(&pf->lock);
    free(pf);
}

prompt_frontend *prompt_frontend_load_files(const char *campplus_onnx, const char *tokenizer_onnx,
                                            const char *yaml_path, cv_status *st)
{
    prompt_frontend *pf = calloc(1, sizeof *pf);
    if (!pf) {
        *st = cv_error(CV_RESOURCE_EXHAUSTED, "prompt front end: out of memory");
        return NULL;
    }
    pthread_mutex_init(&pf->lock, NULL);
    fe_prompt_mel_config cfg = {22050, 1024, 256, 1024, 80, 0.0, 8000.0};
    *st = cv_ok();
    if (yaml_path) {
        yaml_config *y = NULL;
        *st = yaml_config_load(yaml_path, &y);
        if (cv_is_ok(st)) *st = fe_prompt_mel_config_from_yaml(y, &cfg);
        yaml_config_free(y);
    }
    if (cv_is_ok(st)) *st = ox_model_load(campplus_onnx, &pf->campplus);
    if (cv_is_ok(st)) *st = ox_model_load(tokenizer_onnx, &pf->tokenizer);
    if (cv_is_ok(st)) {
        if (ox_model_n_inputs(pf->campplus) != 1 || ox_model_n_outputs(pf->campplus) < 1)
            *st = cv_error(CV_INVALID_ARGUMENT, "%s: expected one input and an output", campplus_onnx);
        /* by name when the export kept CosyVoice's names, else by position
         * (frontend.py also binds them positionally: features, then length) */
        pf->tok_feats = ox_model_input_index(pf->tokenizer, "feats");
        pf->tok_len = ox_model_input_index(pf->tokenizer, "feats_length");
        pf->tok_indices = ox_model_output_index(pf->tokenizer, "indices");
        if (pf->tok_feats < 0 || pf->tok_len < 0) {
            pf->tok_feats = 0;
            pf->tok_len = 1;
        }
        if (pf->tok_indices < 0) pf->tok_indices = 0;
        if (cv_is_ok(st) && (ox_model_n_inputs(pf->tokenizer) != 2 ||
                             ox_model_n_outputs(pf->tokenizer) < 1))
            *st = cv_error(CV_INVALID_ARGUMENT,
                           "%s: expected two inputs (features, length) and an output",
                           tokenizer_onnx);
    }
    if (cv_is_ok(st)) pf->feats = fe_feats_new(&cfg, st);
    if (cv_is_ok(st)) {
        pf->to_mel_rate = sinc_resampler_new(PROMPT_FRONTEND_RATE, cfg.sample_rate);
        if (!pf->to_mel_rate) *st = cv_error(CV_RESOURCE_EXHAUSTED, "resampler: out of memory");
    }
    if (!cv_is_ok(st)) {
        prompt_frontend_free(pf);
        return NULL;
    }
    return pf;
}

prompt_frontend *prompt_frontend_load(const char *model_dir, cv_status *st)
{
    char camp[4096], tok[4096], yaml[4096];
    snprintf(camp, sizeof camp, "%s/campplus.onnx", model_dir);
    snprintf(tok, sizeof tok, "%s/speech_tokenizer_v1.onnx", model_dir);
    snprintf(yaml, sizeof yaml, "%s/cosyvoice.yaml", model_dir);
    return prompt_frontend_load_files(camp, tok, yaml, st);
}

cv_status prompt_frontend_tokens(const prompt_frontend *pf, const float *mel128, int T,
                                 int32_t **tokens, int *n_tokens)
{
    return prompt_frontend_tokens_scored(pf, mel128, T, tokens, n_tokens, NULL, NULL);
}

cv_status prompt_frontend_tokens_scored(const prompt_frontend *pf, const float *mel128, int T,
                                        int32_t **tokens, int *n_tokens, float **scores,
                                        int *n_codes)
{
    *tokens = NULL;
    *n_tokens = 0;
    const char *score_name = NULL;
    ox_tensor *score = NULL;
    if (scores) {
        *scores = NULL;
        *n_codes = 0;
        score_name = ox_model_last_node_input(pf->tokenizer, "ArgMax", 0);
        if (!score_name) return cv_error(CV_NOT_FOUND, "speech tokenizer has no ArgMax");
    }
    int64_t fshape[3] = {1, FE_WHISPER_MELS, T}, lshape[1] = {1};
    ox_tensor *feats = ox_tensor_new(OX_FLOAT, 3, fshape);
    ox_tensor *len = ox_tensor_new(OX_INT32, 1, lshape);
    ox_tensor *outs[8] = {0};
    const int n_out = ox_model_n_outputs(pf->tokenizer);
    if (!feats || !len || n_out > 8) {
        ox_tensor_free(feats);
        ox_tensor_free(len);
        return cv_error(CV_RESOURCE_EXHAUSTED, "speech tokenizer: out of memory");
    }
    memcpy(feats->data, mel128, sizeof(float) * FE_WHISPER_MELS * (size_t)T);
    ox_i32(len)[0] = T;
    const ox_tensor *ins[2];
    ins[pf->tok_feats] = feats;
    ins[pf->tok_len] = len;
    cv_status st = ox_run_ex(pf->tokenizer, ins, outs, &score_name, scores ? 1 : 0, &score);
    if (!cv_is_ok(&st)) {
        cv_status wrapped = cv_error(st.code, "speech tokenizer (%d frames): %.400s", T, st.message);
        st = wrapped;
    }
    if (cv_is_ok(&st) && scores) {
        if (score->dtype != OX_FLOAT || score->ndim < 1) {
            st = cv_error(CV_INTERNAL, "speech tokenizer: scores are not float");
        } else {
            *n_codes = (int)score->shape[score->ndim - 1];
            *scores = score->data;
            score->data = NULL;
        }
        ox_tensor_free(score);
    }
    if (cv_is_ok(&st)) {
        const ox_tensor *ix = outs[pf->tok_indices];
        if (ix->dtype == OX_FLOAT || ix->dtype == OX_BOOL) {
            st = cv_error(CV_INTERNAL, "speech tokenizer: indices are not integers");
        } else {
            *tokens = malloc(sizeof(int32_t) * (ix->count ? ix->count : 1));
            if (!*tokens) st = cv_error(CV_RESOURCE_EXHAUSTED, "speech tokenizer: out of memory");
            else {
                for (size_t i = 0; i < ix->count; i++) (*tokens)[i] = (int32_t)ox_get_i64(ix, i);
                *n_tokens = (int)ix->count;
            }
        }
    }
    if (!cv_is_ok(&st) && scores) {
        free(*scores);
        *scores = NULL;
        free(*tokens);
        *tokens = NULL;
        *n_tokens = 0;
    }
    for (int j = 0; j < n_out; j++) ox_tensor_free(outs[j]);
    ox_tensor_free(feats);
    ox_tensor_free(len);
    return st;
}

cv_status prompt_frontend_embedding(const prompt_frontend *pf, const float *fbank, int T,
                                    float *embedding)
{
    int64_t shape[3] = {1, T, FE_FBANK_MELS};
    ox_tensor *x = ox_tensor_new(OX_FLOAT, 3, shape);
    ox_tensor *outs[8] = {0};
    const int n_out = ox_model_n_outputs(pf->campplus);
    if (!x || n_out > 8) {
        ox_tensor_free(x);
        return cv_error(CV_RESOURCE_EXHAUSTED, "speaker model: out of memory");
    }
    memcpy(x->data, fbank, sizeof(float) * FE_FBANK_MELS * (size_t)T);
    const ox_tensor *ins[1] = {x};
    cv_status st = ox_run(pf->campplus, ins, outs);
    if (!cv_is_ok(&st)) {
        cv_status wrapped = cv_error(st.code, "speaker model (%d frames): %.400s", T, st.message);
        st = wrapped;
    }
    if (cv_is_ok(&st)) {
        if (outs[0]->dtype != OX_FLOAT || outs[0]->count != PROMPT_SPK_DIM)
            st = cv_error(CV_INTERNAL, "speaker model: output has %zu values, expected %d",
                          outs[0]->count, PROMPT_SPK_DIM);
        else memcpy(embedding, outs[0]->data, sizeof(float) * PROMPT_SPK_DIM);
    }
    for (int j = 0; j < n_out; j++) ox_tensor_free(outs[j]);
    ox_tensor_free(x);
    return st;
}

cv_status prompt_frontend_run_float(const prompt_frontend *pf, const float *x, size_t n,
                                    prompt_features *out)
{
    memset(out, 0, sizeof *out);
    if (n < PROMPT_FRONTEND_RATE / 10)
        return cv_error(CV_INVALID_ARGUMENT, "prompt audio too short (%zu samples at 16 kHz)", n);
    if (n > (size_t)PROMPT_FRONTEND_MAX_SECONDS * PROMPT_FRONTEND_RATE)
        return cv_error(CV_INVALID_ARGUMENT, "prompt audio longer than %d s",
                        PROMPT_FRONTEND_MAX_SECONDS);
    float *mel = NULL, *fb = NULL, *x22 = NULL;
    int T = 0, Tf = 0;
    cv_status st = fe_whisper_mel(pf->feats, x, n, &mel, &T);
    if (cv_is_ok(&st)) st = prompt_frontend_tokens(pf, mel, T, &out->speech_tokens, &out->n_tokens);
    if (cv_is_ok(&st)) st = fe_fbank(pf->feats, x, n, &fb, &Tf);
    if (cv_is_ok(&st)) st = prompt_frontend_embedding(pf, fb, Tf, out->embedding);
    if (cv_is_ok(&st)) {
        size_t n22 = sinc_resampler_out_len(pf->to_mel_rate, n);
        x22 = malloc(sizeof(float) * n22);
        if (!x22 || sinc_resampler_run(pf->to_mel_rate, x, n, x22) != 0)
            st = cv_error(CV_RESOURCE_EXHAUSTED, "prompt resampling: out of memory");
        if (cv_is_ok(&st)) st = fe_prompt_mel(pf->feats, x22, n22, &out->prompt_mel, &out->mel_frames);
        out->n_mels = fe_feats_prompt_config(pf->feats)->n_mels;
    }
    free(mel);
    free(fb);
    free(x22);
    if (!cv_is_ok(&st)) prompt_features_free(out);
    return st;
}

static bool copy_features(const prompt_features *src, prompt_features *dst)
{
    *dst = *src;
    dst->speech_tokens = malloc(sizeof(int32_t) * (src->n_tokens ? src->n_tokens : 1));
    const size_t mel = (size_t)src->mel_frames * src->n_mels;
    dst->prompt_mel = malloc(sizeof(float) * (mel ? mel : 1));
    if (!dst->speech_tokens || !dst->prompt_mel) {
        prompt_features_free(dst);
        return false;
    }
    memcpy(dst->speech_tokens, src->speech_tokens, sizeof(int32_t) * src->n_tokens);
    memcpy(dst->prompt_mel, src->prompt_mel, sizeof(float) * mel);
    return true;
}

/* index of the entry holding this recording, -1 if none; under the lock */
static int cache_find(const prompt_frontend *pf, const int16_t *pcm, size_t n, int rate)
{
    for (int i = 0; i < PROMPT_FRONTEND_CACHE_SIZE; i++) {
        const cache_entry *e = &pf->cache[i];
        if (e->pcm && e->n == n && e->rate == rate && !memcmp(e->pcm, pcm, n * sizeof *pcm))
            return i;
    }
    return -1;
}

static bool rate_ok(int rate) { return rate >= 8000 && rate <= 192000; }

cv_status prompt_frontend_run_float_rate(const prompt_frontend *pf, const float *x, size_t n,
                                         int rate, prompt_features *out)
{
    memset(out, 0, sizeof *out);
    if (!rate_ok(rate))
        return cv_error(CV_INVALID_ARGUMENT, "prompt sample rate %d Hz is not supported", rate);
    if (rate == PROMPT_FRONTEND_RATE) return prompt_frontend_run_float(pf, x, n, out);
    if (n / (size_t)rate > PROMPT_FRONTEND_MAX_SECONDS)
        return cv_error(CV_INVALID_ARGUMENT, "prompt audio longer than %d s",
                        PROMPT_FRONTEND_MAX_SECONDS);
    sinc_resampler *r = sinc_resampler_new(rate, PROMPT_FRONTEND_RATE);
    const size_t m = r ? sinc_resampler_out_len(r, n) : 0;
    float *y = r ? malloc(sizeof(float) * (m ? m : 1)) : NULL;
    cv_status st = y && sinc_resampler_run(r, x, n, y) == 0
                       ? prompt_frontend_run_float(pf, y, m, out)
                       : cv_error(CV_RESOURCE_EXHAUSTED, "prompt resampling: out of memory");
    sinc_resampler_free(r);
    free(y);
    return st;
}

cv_status prompt_frontend_run(prompt_frontend *pf, const int16_t *pcm, size_t n,
                              prompt_features *out)
{
    return prompt_frontend_run_rate(pf, pcm, n, PROMPT_FRONTEND_RATE, out);
}

cv_status prompt_frontend_run_rate(prompt_frontend *pf, const int16_t *pcm, size_t n, int rate,
                                   prompt_features *out)
{
    memset(out, 0, sizeof *out);
    if (!rate_ok(rate))
        return cv_error(CV_INVALID_ARGUMENT, "prompt sample rate %d Hz is not supported", rate);
    if (n / (size_t)rate > PROMPT_FRONTEND_MAX_SECONDS)
        return cv_error(CV_INVALID_ARGUMENT, "prompt audio longer than %d s",
                        PROMPT_FRONTEND_MAX_SECONDS);
    pthread_mutex_lock(&pf->lock);
    int hit = n ? cache_find(pf, pcm, n, rate) : -1;
    bool ok = true;
    if (hit >= 0) {
        pf->cache[hit].last_used = ++pf->tick;
        pf->hits++;
        ok = copy_features(&pf->cache[hit].feat, out);
    } else {
        pf->misses++;
    }
    pthread_mutex_unlock(&pf->lock);
    if (hit >= 0)
        return ok ? cv_ok() : cv_error(CV_RESOURCE_EXHAUSTED, "prompt features: out of memory");

    /* computed outside the lock: concurrent calls run in parallel */
    float *x = malloc(sizeof(float) * (n ? n : 1));
    if (!x) return cv_error(CV_RESOURCE_EXHAUSTED, "prompt front end: out of memory");
    for (size_t i = 0; i < n; i++) x[i] = pcm[i] / 32768.0f;
    cv_status st = prompt_frontend_run_float_rate(pf, x, n, rate, out);
    free(x);
    if (!cv_is_ok(&st)) return st;

    cache_entry fresh = {0};
    fresh.pcm = malloc(sizeof(int16_t) * n);
    if (!fresh.pcm || !copy_features(out, &fresh.feat)) {
        free(fresh.pcm);
        return st; /* caching is best effort */
    }
    memcpy(fresh.pcm, pcm, sizeof(int16_t) * n);
    pthread_mutex_lock(&pf->lock);
    if (cache_find(pf, pcm, n, rate) >= 0) { /* another thread stored it meanwhile */
        pthread_mutex_unlock(&pf->lock);
        free(fresh.pcm);
        prompt_features_free(&fresh.feat);
        return st;
    }
    int victim = 0;
    for (int i = 0; i < PROMPT_FRONTEND_CACHE_SIZE; i++) {
        if (!pf->cache[i].pcm) {
            victim = i;
            break;
        }
        if (pf->cache[i].last_used < pf->cache[victim].last_used) victim = i;
    }
    cache_entry old = pf->cache[victim];
    fresh.last_used = ++pf->tick;
    fresh.n = n;
    fresh.rate = rate;
    pf->cache[victim] = fresh;
    pthread_mutex_unlock(&pf->lock);
    free(old.pcm);
    prompt_features_free(&old.feat);
    return st;
}

void prompt_frontend_cache_stats(prompt_frontend *pf, unsigned long *hits, unsigned long *misses)
{
    pthread_mutex_lock(&pf->lock);
    *hits = pf->hits;
    *misses = pf->misses;
    pthread_mutex_unlock(&pf->lock);
}
