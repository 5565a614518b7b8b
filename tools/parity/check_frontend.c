/* Prompt front-end checks, for every family: resampling, Whisper log-mel,
 * Kaldi fbank, the flow's prompt mel, the speaker embedding, the speech
 * tokenizer (its hidden state and, for v2/v3, the quantizer's projections),
 * the trimming rule, and the whole front end run on each recording.
 *
 * Nothing about the recording is assumed: FRONTEND.json in the golden
 * directory gives its rate, the rate of the prompt mel and the shape of every
 * array (each result is checked against that shape before its values), and
 * its "shapes" name the arrays (the prefix of "<prefix>_wav": "fe" for v1,
 * "fe2" for v2). Which signal the prompt mel is made from (the 16 kHz one for
 * v1, the recording for v2/v3) and the trimming follow the family's front-end
 * configuration, so those rules are what is checked. Each stage starts from
 * the golden input of its step, so errors do not compound; the end-to-end
 * runs start from the recordings. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/audio_file.h"
#include "audio/sinc_resample.h"
#include "model/frontend/frontend_feats.h"
#include "model/frontend/prompt_frontend.h"
#include "onnx/onnx_model.h"
#include "parity.h"

#define AUDIO_TOLERANCE 1e-4 /* resampled audio */
#define TOKEN_TIE 1e-6f

typedef struct golden {
    parity_ctx *ctx;
    json_t *json;
    char prefix[32];
    int wav_rate, mel_rate;
    const prompt_frontend_family *fam;
} golden;

/* "<prefix>_<suffix>" */
static const char *nm(const golden *g, const char *suffix, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s_%s", g->prefix, suffix);
    return buf;
}

static bool has(const golden *g, const char *suffix)
{
    char n[128];
    return parity_has(g->ctx, nm(g, suffix, n, sizeof n));
}

/* Shape without leading 1s, so [1,128,T] and our [128][T] compare. */
static int squeeze(int nd, const int64_t *shape, int64_t *out)
{
    int k = 0;
    while (k < nd - 1 && shape[k] == 1) k++;
    for (int j = k; j < nd; j++) out[j - k] = shape[j];
    return nd - k;
}

static void shape_str(int nd, const int64_t *s, char *buf, size_t cap)
{
    size_t o = (size_t)snprintf(buf, cap, "[");
    for (int k = 0; k < nd && o < cap; k++) o += (size_t)snprintf(buf + o, cap - o, k ? ",%lld" : "%lld", (long long)s[k]);
    if (o < cap) snprintf(buf + o, cap - o, "]");
}

/* The golden shape of `name`: FRONTEND.json's when it lists it, else the
 * .npy file's own (which the comparison loads anyway). */
static int golden_shape(const golden *g, const char *name, const npy_array *ref, int64_t *shape)
{
    json_t *js = json_object_get(json_object_get(g->json, "shapes"), name);
    if (json_is_array(js) && json_array_size(js) <= NPY_MAX_DIMS) {
        for (size_t k = 0; k < json_array_size(js); k++)
            shape[k] = json_integer_value(json_array_get(js, k));
        return (int)json_array_size(js);
    }
    memcpy(shape, ref->shape, sizeof(int64_t) * (size_t)ref->ndim);
    return ref->ndim;
}

/* Checks our result (shape `nd`/`shape`) against golden `<prefix>_<suffix>`:
 * shape first (FRONTEND.json's and the file's must agree too), then values
 * within tol (integers, tol < 0: identical). */
static void compare(const golden *g, const char *suffix, const float *out, const int32_t *iout,
                    int nd, const int64_t *shape, double tol)
{
    char name[128], why[256], a[96], b[96];
    nm(g, suffix, name, sizeof name);
    npy_array ref = {0};
    if (!parity_load(g->ctx, name, &ref)) return;
    int64_t gs[NPY_MAX_DIMS], s1[NPY_MAX_DIMS], s2[NPY_MAX_DIMS], s3[NPY_MAX_DIMS];
    const int gnd = golden_shape(g, name, &ref, gs);
    const int n1 = squeeze(gnd, gs, s1), n2 = squeeze(nd, shape, s2), n3 = squeeze(ref.ndim, ref.shape, s3);
    if (n1 != n3 || memcmp(s1, s3, sizeof(int64_t) * (size_t)n1)) {
        shape_str(gnd, gs, a, sizeof a);
        shape_str(ref.ndim, ref.shape, b, sizeof b);
        snprintf(why, sizeof why, "FRONTEND.json says %s, the file holds %s", a, b);
        parity_fail(g->ctx, name, why);
    } else if (n1 != n2 || memcmp(s1, s2, sizeof(int64_t) * (size_t)n1)) {
        shape_str(nd, shape, a, sizeof a);
        shape_str(gnd, gs, b, sizeof b);
        snprintf(why, sizeof why, "shape %s, golden %s", a, b);
        parity_fail(g->ctx, name, why);
    } else if (tol < 0) {
        size_t diff = 0, first = 0;
        for (size_t i = 0; i < ref.count; i++) {
            const int64_t v = iout ? iout[i] : (int64_t)out[i];
            const int64_t r = ref.idata ? ref.idata[i] : (int64_t)ref.data[i];
            if (v != r && !diff++) first = i;
        }
        if (diff) {
            snprintf(why, sizeof why, "%zu of %zu values differ (first at %zu)", diff, ref.count, first);
            parity_fail(g->ctx, name, why);
        } else {
            printf("%-24s %zu identical  ok\n", name, ref.count);
            g->ctx->checks++;
        }
    } else {
        parity_report_tol(g->ctx, name, parity_max_abs(out, ref.data, ref.count), tol);
    }
    npy_free(&ref);
}

static void compare_f(const golden *g, const char *suffix, const float *out, int nd,
                      const int64_t *shape, double tol)
{
    compare(g, suffix, out, NULL, nd, shape, tol);
}

static bool load(const golden *g, const char *suffix, npy_array *a)
{
    char n[128];
    return parity_load(g->ctx, nm(g, suffix, n, sizeof n), a);
}

static void check_resample(const golden *g, const char *in, int rin, const char *out, int rout)
{
    if (!has(g, in) || !has(g, out)) return;
    npy_array x = {0};
    if (!load(g, in, &x)) return;
    sinc_resampler *r = sinc_resampler_new(rin, rout);
    size_t n = r ? sinc_resampler_out_len(r, x.count) : 0;
    float *y = malloc(sizeof(float) * (n ? n : 1));
    char name[128];
    if (r && y && sinc_resampler_run(r, x.data, x.count, y) == 0)
        compare_f(g, out, y, 1, (int64_t[]){(int64_t)n}, AUDIO_TOLERANCE);
    else parity_fail(g->ctx, nm(g, out, name, sizeof name), "resampler failed");
    free(y);
    sinc_resampler_free(r);
    npy_free(&x);
}

typedef cv_status (*feat_fn)(const fe_feats *, const float *, size_t, float **, int *);

/* A feature extractor on golden input `in`; rows_first: our result is
 * [T][mels] (fbank, prompt mel), else [mels][T] (Whisper). */
static void check_feat(const golden *g, const fe_feats *fe, const char *in, const char *out,
                       feat_fn fn, int mels, bool rows_first)
{
    if (!has(g, in) || !has(g, out)) return;
    npy_array x = {0};
    if (!load(g, in, &x)) return;
    float *y = NULL;
    int T = 0;
    cv_status st = fn(fe, x.data, x.count, &y, &T);
    char name[128];
    if (cv_is_ok(&st)) {
        int64_t shape[2] = {rows_first ? T : mels, rows_first ? mels : T};
        compare_f(g, out, y, 2, shape, PARITY_TOLERANCE);
    } else {
        parity_fail(g->ctx, nm(g, out, name, sizeof name), st.message);
    }
    free(y);
    npy_free(&x);
}

/* The tokenizer's inner values, named by the graph's structure: the
 * encoder's output is the input of the last ReduceL2 (v1: L2 normalisation
 * before the codebook lookup) or of the last MatMul (v2/v3: the FSQ
 * projection); the projections are the input of the last Tanh. */
static void check_tokenizer_inner(const golden *g, const char *tok_path)
{
    const bool want_h = has(g, "tokenizer_hidden"), want_p = has(g, "tokenizer_proj");
    if ((!want_h && !want_p) || !has(g, "whisper_mel128")) return;
    ox_model *m = NULL;
    cv_status st = ox_model_load(tok_path, &m);
    const char *names[2] = {NULL, NULL}, *suffix[2] = {"tokenizer_hidden", "tokenizer_proj"};
    if (cv_is_ok(&st)) {
        names[0] = ox_model_last_node_input(m, "ReduceL2", 0);
        if (!names[0]) names[0] = ox_model_last_node_input(m, "MatMul", 0);
        names[1] = ox_model_last_node_input(m, "Tanh", 0);
    }
    npy_array mel = {0};
    if (!cv_is_ok(&st) || !load(g, "whisper_mel128", &mel) || mel.ndim != 3) {
        parity_fail(g->ctx, "tokenizer inner values", cv_is_ok(&st) ? "no [1,128,T] mel" : st.message);
        npy_free(&mel);
        ox_model_free(m);
        return;
    }
    int64_t fs[3] = {1, mel.shape[1], mel.shape[2]}, ls[1] = {1};
    ox_tensor *f = ox_tensor_new(OX_FLOAT, 3, fs), *len = ox_tensor_new(OX_INT32, 1, ls);
    ox_tensor *outs[8] = {0}, *inner[2] = {0};
    int fi = ox_model_input_index(m, "feats"), li = ox_model_input_index(m, "feats_length");
    if (fi < 0 || li < 0) { /* positional, as frontend.py binds them */
        fi = 0;
        li = 1;
    }
    const char *want[2];
    int n_want = 0, which[2];
    for (int k = 0; k < 2; k++)
        if ((k ? want_p : want_h) && names[k]) {
            want[n_want] = names[k];
            which[n_want++] = k;
        } else if (k ? want_p : want_h) {
            parity_skip(g->ctx, suffix[k], "no such value in the tokenizer graph");
        }
    if (f && len && n_want && ox_model_n_inputs(m) == 2 && ox_model_n_outputs(m) <= 8) {
        memcpy(f->data, mel.data, sizeof(float) * mel.count);
        ox_i32(len)[0] = (int32_t)mel.shape[2];
        const ox_tensor *ins[2];
        ins[fi] = f;
        ins[li] = len;
        st = ox_run_ex(m, ins, outs, want, n_want, inner);
        for (int j = 0; j < n_want; j++) {
            if (cv_is_ok(&st))
                compare_f(g, suffix[which[j]], ox_f(inner[j]), inner[j]->ndim, inner[j]->shape,
                          PARITY_TOLERANCE);
            else parity_fail(g->ctx, suffix[which[j]], st.message);
            ox_tensor_free(inner[j]);
        }
        for (int j = 0; j < ox_model_n_outputs(m); j++) ox_tensor_free(outs[j]);
    } else if (n_want) {
        parity_fail(g->ctx, "tokenizer inner values", "unexpected tokenizer inputs");
    }
    ox_tensor_free(f);
    ox_tensor_free(len);
    npy_free(&mel);
    ox_model_free(m);
}

/* v1's codebook lookup ends in an ArgMax: a differing token passes only if
 * the golden choice scores within TOKEN_TIE of ours in our own scores (a
 * float32 near-tie; random codebooks produce them at 1-ulp distance), not a
 * wrong network. v2/v3 round (FSQ) and their golden data keep every value
 * 1e-3 away from a rounding boundary: their tokens must be identical. */
static void check_tokens(const golden *g, prompt_frontend *pf)
{
    if (!has(g, "whisper_mel128") || !has(g, "speech_token")) return;
    npy_array mel = {0}, ref = {0};
    if (!load(g, "whisper_mel128", &mel) || !load(g, "speech_token", &ref)) goto out;
    int32_t *tokens = NULL;
    float *scores = NULL;
    int nt = 0, ncodes = 0;
    char name[128];
    nm(g, "speech_token", name, sizeof name);
    if (mel.ndim != 3 || mel.shape[1] != FE_WHISPER_MELS) {
        parity_fail(g->ctx, name, "the golden mel is not [1, 128, T]");
        goto out;
    }
    cv_status st = prompt_frontend_tokens_scored(pf, mel.data, (int)mel.shape[2], &tokens, &nt,
                                                 &scores, &ncodes);
    if (st.code == CV_NOT_FOUND) { /* no ArgMax: exact tokens */
        st = prompt_frontend_tokens(pf, mel.data, (int)mel.shape[2], &tokens, &nt);
        if (cv_is_ok(&st)) compare(g, "speech_token", NULL, tokens, 1, (int64_t[]){nt}, -1);
        else parity_fail(g->ctx, name, st.message);
    } else if (!cv_is_ok(&st)) {
        parity_fail(g->ctx, name, st.message);
    } else if ((size_t)nt != ref.count) {
        char why[128];
        snprintf(why, sizeof why, "%d tokens, golden has %zu", nt, ref.count);
        parity_fail(g->ctx, name, why);
    } else {
        int diff = 0, ties = 0;
        for (int i = 0; i < nt; i++) {
            if (tokens[i] == ref.idata[i]) continue;
            diff++;
            const int64_t r = ref.idata[i];
            const float gap = r >= 0 && r < ncodes ? scores[(size_t)i * ncodes + tokens[i]] -
                                                         scores[(size_t)i * ncodes + r]
                                                   : INFINITY;
            if (gap <= TOKEN_TIE) ties++;
            printf("%-24s frame %d: ours %d, golden %lld, score gap %.1e\n", name, i, tokens[i],
                   (long long)r, gap);
        }
        const bool ok = diff == ties;
        printf("%-24s %d/%d tokens differ (%d of them float32 near-ties)  %s\n", name, diff, nt,
               ties, ok ? "ok" : "FAIL");
        g->ctx->checks++;
        if (!ok) g->ctx->failures++;
    }
    free(tokens);
    free(scores);
out:
    npy_free(&mel);
    npy_free(&ref);
}

static void check_embedding(const golden *g, prompt_frontend *pf)
{
    if (!has(g, "fbank80") || !has(g, "spk_embedding")) return;
    npy_array fb = {0};
    if (!load(g, "fbank80", &fb)) return;
    float emb[PROMPT_SPK_DIM];
    cv_status st = fb.ndim == 2 && fb.shape[1] == FE_FBANK_MELS
                       ? prompt_frontend_embedding(pf, fb.data, (int)fb.shape[0], emb)
                       : cv_error(CV_INVALID_ARGUMENT, "the golden fbank is not [T, 80]");
    char name[128];
    if (cv_is_ok(&st)) compare_f(g, "spk_embedding", emb, 1, (int64_t[]){PROMPT_SPK_DIM}, PARITY_TOLERANCE);
    else parity_fail(g->ctx, nm(g, "spk_embedding", name, sizeof name), st.message);
    npy_free(&fb);
}

/* The trimming rule on the golden untrimmed tokens and prompt mel. */
static void check_trim(const golden *g, const char *tag)
{
    char tok[64], feat[64], tok_t[64], feat_t[64];
    snprintf(tok, sizeof tok, "%sspeech_token", tag);
    snprintf(feat, sizeof feat, "%sprompt_feat", tag);
    snprintf(tok_t, sizeof tok_t, "%sspeech_token_trimmed", tag);
    snprintf(feat_t, sizeof feat_t, "%sprompt_feat_trimmed", tag);
    if (!has(g, tok) || !has(g, feat) || !has(g, tok_t) || !has(g, feat_t)) return;
    npy_array t = {0}, f = {0};
    if (load(g, tok, &t) && load(g, feat, &f) && f.ndim == 3) {
        int keep_f, keep_t;
        prompt_frontend_trim((int)f.shape[1], (int)t.count, g->fam->mel_per_token, &keep_f, &keep_t);
        int32_t *ti = malloc(sizeof(int32_t) * (t.count ? t.count : 1));
        for (size_t i = 0; ti && i < t.count; i++) ti[i] = (int32_t)t.idata[i];
        if (ti) compare(g, tok_t, NULL, ti, 1, (int64_t[]){keep_t}, -1);
        compare_f(g, feat_t, f.data, 2, (int64_t[]){keep_f, f.shape[2]}, 0.0);
        free(ti);
    } else if (f.ndim != 3) {
        parity_fail(g->ctx, feat, "not [1, F, mels]");
    }
    npy_free(&t);
    npy_free(&f);
}

/* The whole front end on a recording, trimmed (what zero-shot passes on)
 * and, when the golden data has them, the untrimmed results. */
static void check_run(const golden *g, prompt_frontend *pf, const float *x, size_t n, int rate,
                      const char *tag)
{
    char s[64];
    for (int trimmed = 0; trimmed < 2; trimmed++) {
        snprintf(s, sizeof s, trimmed ? "%sspeech_token_trimmed" : "%sspeech_token", tag);
        if (!has(g, s)) continue;
        prompt_features f;
        cv_status st = trimmed ? prompt_frontend_run_float_rate(pf, x, n, rate, &f)
                               : prompt_frontend_run_untrimmed(pf, x, n, rate, &f);
        if (!cv_is_ok(&st)) {
            parity_fail(g->ctx, s, st.message);
            continue;
        }
        compare(g, s, NULL, f.speech_tokens, 1, (int64_t[]){f.n_tokens}, -1);
        snprintf(s, sizeof s, trimmed ? "%sprompt_feat_trimmed" : "%sprompt_feat", tag);
        if (has(g, s))
            compare_f(g, s, f.prompt_mel, 2, (int64_t[]){f.mel_frames, f.n_mels}, PARITY_TOLERANCE);
        snprintf(s, sizeof s, "%sspk_embedding", tag);
        if (!trimmed && has(g, s))
            compare_f(g, s, f.embedding, 1, (int64_t[]){PROMPT_SPK_DIM}, PARITY_TOLERANCE);
        prompt_features_free(&f);
    }
}

static void check_runs(const golden *g, prompt_frontend *pf)
{
    /* v1's golden data has no end-to-end tokens: its codebook near-ties
     * are judged on the stage check's scores */
    if (!has(g, "speech_token_trimmed")) return;
    npy_array w = {0};
    if (load(g, "wav", &w)) {
        printf("-- the front end on %s (%d Hz)\n",
               json_string_value(json_object_get(g->json, "wav_file")), g->wav_rate);
        check_run(g, pf, w.data, w.count, g->wav_rate, "");
    }
    npy_free(&w);
    json_t *cut = json_object_get(g->json, "cut");
    const char *file = json_string_value(json_object_get(cut, "file"));
    if (!file) return;
    char path[4096];
    float *x = NULL;
    size_t n = 0;
    int rate = 0;
    cv_status st = audio_file_load_float(parity_path(g->ctx, file, path, sizeof path), &x, &n, &rate);
    const json_int_t want = json_integer_value(json_object_get(cut, "samples"));
    if (!cv_is_ok(&st)) {
        parity_fail(g->ctx, file, st.message);
    } else if ((want && (json_int_t)n != want) || rate != g->wav_rate) {
        char why[160];
        snprintf(why, sizeof why, "%zu samples at %d Hz, FRONTEND.json says %lld at %d Hz", n,
                 rate, (long long)want, g->wav_rate);
        parity_fail(g->ctx, file, why);
    } else {
        printf("-- the front end on %s (%zu samples at %d Hz)\n", file, n, rate);
        check_run(g, pf, x, n, rate, "cut_");
    }
    free(x);
}

static void check_networks(const golden *g)
{
    char camp[4096], tok[4096];
    parity_path(g->ctx, "campplus.onnx", camp, sizeof camp);
    parity_path(g->ctx, g->fam->tokenizer_file, tok, sizeof tok);
    if (access(camp, R_OK) || access(tok, R_OK)) {
        char why[160];
        snprintf(why, sizeof why, "no campplus.onnx / %s", g->fam->tokenizer_file);
        parity_skip(g->ctx, "networks", why);
        return;
    }
    cv_status st;
    char yaml[4096];
    cv_family fam;
    st = cv_family_detect(g->ctx->dir, &fam, yaml, sizeof yaml);
    prompt_frontend *pf = cv_is_ok(&st) ? prompt_frontend_load_files(camp, tok, yaml, fam, &st) : NULL;
    if (!pf) {
        parity_fail(g->ctx, "prompt_frontend_load", st.message);
        return;
    }
    check_embedding(g, pf);
    check_tokens(g, pf);
    check_tokenizer_inner(g, tok);
    check_trim(g, "");
    check_trim(g, "cut_");
    check_runs(g, pf);
    prompt_frontend_free(pf);
}

/* FRONTEND.json: the recording's rate, the prompt mel's, the array prefix. */
static bool read_description(golden *g)
{
    char path[4096];
    json_error_t err;
    g->json = json_load_file(parity_path(g->ctx, "FRONTEND.json", path, sizeof path), 0, &err);
    if (!g->json) {
        parity_fail(g->ctx, "FRONTEND.json", err.text);
        return false;
    }
    json_t *rates = json_object_get(g->json, "rates");
    g->wav_rate = (int)json_integer_value(json_object_get(rates, "wav"));
    if (!g->wav_rate) g->wav_rate = (int)json_integer_value(json_object_get(g->json, "wav_sample_rate"));
    g->mel_rate = (int)json_integer_value(json_object_get(rates, "prompt_feat"));
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(g->json, "shapes"), key, v)
    {
        size_t l = strlen(key);
        if (l > 4 && l - 4 < sizeof g->prefix && !strcmp(key + l - 4, "_wav")) {
            memcpy(g->prefix, key, l - 4);
            g->prefix[l - 4] = '\0';
        }
    }
    if (g->wav_rate < 8000 || g->wav_rate > 192000 || !g->prefix[0]) {
        parity_fail(g->ctx, "FRONTEND.json",
                    "needs wav_sample_rate (or rates.wav) and the shape of a \"<prefix>_wav\" array");
        return false;
    }
    return true;
}

static void run_frontend(parity_ctx *ctx)
{
    char path[4096];
    if (access(parity_path(ctx, "FRONTEND.json", path, sizeof path), R_OK)) {
        parity_skip(ctx, "frontend", "no FRONTEND.json in the golden directory");
        return;
    }
    golden g = {.ctx = ctx, .fam = prompt_frontend_family_config(ctx->family)};
    if (!read_description(&g)) {
        json_decref(g.json);
        return;
    }
    fe_prompt_mel_config cfg;
    cv_status st = fe_prompt_mel_config_from_yaml(ctx->yaml, &cfg);
    fe_feats *fe = cv_is_ok(&st) ? fe_feats_new(&cfg, &st) : NULL;
    if (!fe) {
        parity_fail(ctx, "fe_feats", st.message);
        json_decref(g.json);
        return;
    }
    if (g.mel_rate && g.mel_rate != cfg.sample_rate) {
        char why[160];
        snprintf(why, sizeof why, "FRONTEND.json's prompt feat rate %d Hz, the yaml's %d Hz",
                 g.mel_rate, cfg.sample_rate);
        parity_fail(ctx, "prompt mel rate", why);
    }
    printf("-- stages (recording %d Hz, prompt mel %d Hz from the %s)\n", g.wav_rate,
           cfg.sample_rate, g.fam->mel_from_16k ? "16 kHz signal" : "recording");
    /* the prompt mel's input: "<prefix>_speech_<rate>" ("fe_speech_22050",
     * "fe2_speech_24k"), made from the signal the family names */
    char mel_in[32];
    snprintf(mel_in, sizeof mel_in, cfg.sample_rate % 1000 ? "speech_%d" : "speech_%dk",
             cfg.sample_rate % 1000 ? cfg.sample_rate : cfg.sample_rate / 1000);
    if (g.wav_rate != PROMPT_FRONTEND_RATE)
        check_resample(&g, "wav", g.wav_rate, "speech_16k", PROMPT_FRONTEND_RATE);
    if (g.fam->mel_from_16k)
        check_resample(&g, "speech_16k", PROMPT_FRONTEND_RATE, mel_in, cfg.sample_rate);
    else if (g.wav_rate != cfg.sample_rate)
        check_resample(&g, "wav", g.wav_rate, mel_in, cfg.sample_rate);
    else if (has(&g, mel_in) && has(&g, "wav")) { /* load_wav does not resample a 24 kHz file */
        npy_array w = {0};
        if (load(&g, "wav", &w)) compare_f(&g, mel_in, w.data, 1, (int64_t[]){(int64_t)w.count}, 0.0);
        npy_free(&w);
    }
    check_feat(&g, fe, "speech_16k", "whisper_mel128", fe_whisper_mel, FE_WHISPER_MELS, false);
    check_feat(&g, fe, "speech_16k", "fbank80", fe_fbank, FE_FBANK_MELS, true);
    if (!has(&g, mel_in) && g.wav_rate == cfg.sample_rate && !g.fam->mel_from_16k)
        snprintf(mel_in, sizeof mel_in, "wav"); /* no resampling needed */
    check_feat(&g, fe, mel_in, "prompt_feat", fe_prompt_mel, cfg.n_mels, true);
    fe_feats_free(fe);
    check_networks(&g);
    json_decref(g.json);
}

const parity_group parity_group_frontend = {"frontend", CV_FAMILY_V1 | CV_FAMILY_V2 | CV_FAMILY_V3,
                                            run_frontend};
