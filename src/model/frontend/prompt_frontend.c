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
    cv_family family;
    const prompt_frontend_family *cfg;
    ox_model *campplus, *tokenizer;
    int tok_feats, tok_len; /* input indices of the tokenizer */
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

static const prompt_frontend_family FAMILIES[] = {
    {"speech_tokenizer_v1.onnx", true, 0},  /* v1 */
    {"speech_tokenizer_v2.onnx", false, 2}, /* v2 */
    {"speech_tokenizer_v3.onnx", false, 2}, /* v3 */
};

const prompt_frontend_family *prompt_frontend_family_config(cv_family f)
{
    switch (f) {
    case CV_FAMILY_V1: return &FAMILIES[0];
    case CV_FAMILY_V2: return &FAMILIES[1];
    case CV_FAMILY_V3: return &FAMILIES[2];
    }
    return &FAMILIES[0];
}

void prompt_frontend_trim(int mel_frames, int n_tokens, int mel_per_token, int *keep_frames,
                          int *keep_tokens)
{
    if (mel_per_token <= 0 || mel_frames < 0 || n_tokens < 0) {
        *keep_frames = mel_frames;
        *keep_tokens = n_tokens;
        return;
    }
    const int l = mel_frames / mel_per_token < n_tokens ? mel_frames / mel_per_token : n_tokens;
    *keep_frames = l * mel_per_token;
    *keep_tokens = l;
}

cv_family prompt_frontend_family_of(const prompt_frontend *pf) { return pf->family; }
int prompt_frontend_mel_rate(const prompt_frontend *pf)
{
    return fe_feats_prompt_config(pf->feats)->sample_rate;
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
                                            const char *yaml_path, cv_family family,
                                            cv_status *st)
{
    prompt_frontend *pf = calloc(1, sizeof *pf);
    if (!pf) {
        *st = cv_error(CV_RESOURCE_EXHAUSTED, "prompt front end: out of memory");
        return NULL;
    }
    pthread_mutex_init(&pf->lock, NULL);
    pf->family = family;
    pf->cfg = prompt_frontend_family_config(family);
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
         * (frontend.py also binds them positionally: features, then length);
         * the tokens are output 0, whatever its name, as frontend.py reads */
        pf->tok_feats = ox_model_input_index(pf->tokenizer, "feats");
        pf->tok_len = ox_model_input_index(pf->tokenizer, "feats_length");
        if (pf->tok_feats < 0 || pf->tok_len < 0) {
            pf->tok_feats = 0;
            pf->tok_len = 1;
        }
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
    cv_family family;
    *st = cv_family_detect(model_dir, &family, yaml, sizeof yaml);
    if (!cv_is_ok(st)) return NULL;
    snprintf(camp, sizeof camp, "%s/campplus.onnx", model_dir);
    snprintf(tok, sizeof tok, "%s/%s", model_dir, prompt_frontend_family_config(family)->tokenizer_file);
    return prompt_frontend_load_files(camp, tok, yaml, family, st);
}

/* frontend.py flattens output 0 (.flatten().tolist()): v1 files give
 * [1,N] int32, the official v2/v3 files [1,1,N]; int64 is read the same.
 * Anything but a batch of one is refused, and so are negative ids. */
static cv_status flatten_tokens(const ox_tensor *ix, int32_t **tokens, int *n_tokens)
{
    if (ix->dtype != OX_INT32 && ix->dtype != OX_INT64)
        return cv_error(CV_INVALID_ARGUMENT, "speech tokenizer: output 0 holds %s, not integer ids",
                        ox_dtype_name(ix->dtype));
    for (int d = 0; d + 1 < ix->ndim; d++)
        if (ix->shape[d] != 1)
            return cv_error(CV_INVALID_ARGUMENT,
                            "speech tokenizer: output 0 has dimension %d of size %lld (expected "
                            "[1,N] or [1,1,N])",
                            d, (long long)ix->shape[d]);
    if (ix->count > INT32_MAX / 2)
        return cv_error(CV_INVALID_ARGUMENT, "speech tokenizer: too many tokens");
    *tokens = malloc(sizeof(int32_t) * (ix->count ? ix->count : 1));
    if (!*tokens) return cv_error(CV_RESOURCE_EXHAUSTED, "speech tokenizer: out of memory");
    for (size_t i = 0; i < ix->count; i++) {
        const int64_t v = ox_get_i64(ix, i);
        if (v < 0 || v > INT32_MAX) {
            free(*tokens);
            *tokens = NULL;
            return cv_error(CV_INVALID_ARGUMENT, "speech tokenizer: token %zu is %lld", i,
                            (long long)v);
        }
        (*tokens)[i] = (int32_t)v;
    }
    *n_tokens = (int)ix->count;
    return cv_ok();
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
    if (cv_is_ok(&st)) st = flatten_tokens(outs[0], tokens, n_tokens);
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

/* The prompt mel of `x` (n samples at `rate`) at the feat_extractor's rate. */
static cv_status prompt_mel_of(const prompt_frontend *pf, const float *x, size_t n, int rate,
                               prompt_features *out)
{
    const fe_prompt_mel_config *c = fe_feats_prompt_config(pf->feats);
    out->n_mels = c->n_mels;
    if (rate == c->sample_rate) return fe_prompt_mel(pf->feats, x, n, &out->prompt_mel, &out->mel_frames);
    sinc_resampler *own = rate == PROMPT_FRONTEND_RATE ? NULL : sinc_resampler_new(rate, c->sample_rate);
    const sinc_resampler *r = rate == PROMPT_FRONTEND_RATE ? pf->to_mel_rate : own;
    const size_t m = r ? sinc_resampler_out_len(r, n) : 0;
    float *y = r ? malloc(sizeof(float) * (m ? m : 1)) : NULL;
    cv_status st = y && sinc_resampler_run(r, x, n, y) == 0
                       ? fe_prompt_mel(pf->feats, y, m, &out->prompt_mel, &out->mel_frames)
                       : cv_error(CV_RESOURCE_EXHAUSTED, "prompt resampling: out of memory");
    sinc_resampler_free(own);
    free(y);
    return st;
}

/* Tokens and embedding from the 16 kHz signal, the prompt mel from the one
 * the family names, then the family's trimming. */
static cv_status run_core(const prompt_frontend *pf, const float *x16, size_t n16, const float *x,
                          size_t n, int rate, bool trim, prompt_features *out)
{
    memset(out, 0, sizeof *out);
    if (n16 < PROMPT_FRONTEND_RATE / 10)
        return cv_error(CV_INVALID_ARGUMENT, "prompt audio too short (%zu samples at 16 kHz)", n16);
    if (n16 > (size_t)PROMPT_FRONTEND_MAX_SECONDS * PROMPT_FRONTEND_RATE)
        return cv_error(CV_INVALID_ARGUMENT, "prompt audio longer than %d s",
                        PROMPT_FRONTEND_MAX_SECONDS);
    float *mel = NULL, *fb = NULL;
    int T = 0, Tf = 0;
    cv_status st = fe_whisper_mel(pf->feats, x16, n16, &mel, &T);
    if (cv_is_ok(&st)) st = prompt_frontend_tokens(pf, mel, T, &out->speech_tokens, &out->n_tokens);
    if (cv_is_ok(&st)) st = fe_fbank(pf->feats, x16, n16, &fb, &Tf);
    if (cv_is_ok(&st)) st = prompt_frontend_embedding(pf, fb, Tf, out->embedding);
    if (cv_is_ok(&st))
        st = pf->cfg->mel_from_16k ? prompt_mel_of(pf, x16, n16, PROMPT_FRONTEND_RATE, out)
                                   : prompt_mel_of(pf, x, n, rate, out);
    if (cv_is_ok(&st) && trim) {
        /* the arrays keep their size; only the counts shrink */
        prompt_frontend_trim(out->mel_frames, out->n_tokens, pf->cfg->mel_per_token,
                             &out->mel_frames, &out->n_tokens);
        if (out->n_tokens < 1)
            st = cv_error(CV_INVALID_ARGUMENT, "prompt audio too short: no speech token left");
    }
    free(mel);
    free(fb);
    if (!cv_is_ok(&st)) prompt_features_free(out);
    return st;
}

cv_status prompt_frontend_run_float(const prompt_frontend *pf, const float *x, size_t n,
                                    prompt_features *out)
{
    return prompt_frontend_run_float_rate(pf, x, n, PROMPT_FRONTEND_RATE, out);
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

static cv_status run_any_rate(const prompt_frontend *pf, const float *x, size_t n, int rate,
                              bool trim, prompt_features *out)
{
    memset(out, 0, sizeof *out);
    if (!rate_ok(rate))
        return cv_error(CV_INVALID_ARGUMENT, "prompt sample rate %d Hz is not supported", rate);
    if (n / (size_t)rate > PROMPT_FRONTEND_MAX_SECONDS)
        return cv_error(CV_INVALID_ARGUMENT, "prompt audio longer than %d s",
                        PROMPT_FRONTEND_MAX_SECONDS);
    if (rate == PROMPT_FRONTEND_RATE) return run_core(pf, x, n, x, n, rate, trim, out);
    sinc_resampler *r = sinc_resampler_new(rate, PROMPT_FRONTEND_RATE);
    const size_t m = r ? sinc_resampler_out_len(r, n) : 0;
    float *y = r ? malloc(sizeof(float) * (m ? m : 1)) : NULL;
    cv_status st = y && sinc_resampler_run(r, x, n, y) == 0
                       ? run_core(pf, y, m, x, n, rate, trim, out)
                       : cv_error(CV_RESOURCE_EXHAUSTED, "prompt resampling: out of memory");
    sinc_resampler_free(r);
    free(y);
    return st;
}

cv_status prompt_frontend_run_float_rate(const prompt_frontend *pf, const float *x, size_t n,
                                         int rate, prompt_features *out)
{
    return run_any_rate(pf, x, n, rate, true, out);
}

cv_status prompt_frontend_run_untrimmed(const prompt_frontend *pf, const float *x, size_t n,
                                        int rate, prompt_features *out)
{
    return run_any_rate(pf, x, n, rate, false, out);
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
