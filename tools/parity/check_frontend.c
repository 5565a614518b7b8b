/* Prompt front-end checks: resampling (24k -> 16k -> 22050), Whisper
 * log-mel, Kaldi fbank, flow prompt mel, and - when the directory has the
 * ONNX files - the speaker embedding and speech tokens. Each feature check
 * starts from the golden input of its step, so errors do not compound. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/sinc_resample.h"
#include "model/frontend/frontend_feats.h"
#include "model/frontend/prompt_frontend.h"
#include "onnx/onnx_model.h"
#include "parity.h"

/* max abs error between out[n] and golden `name` (count must match) */
static void compare(parity_ctx *ctx, const char *name, const float *out, size_t n, double tol)
{
    npy_array ref = {0};
    if (!parity_load(ctx, name, &ref)) return;
    if (ref.count != n) {
        char why[128];
        snprintf(why, sizeof why, "%zu values, golden has %zu", n, ref.count);
        parity_fail(ctx, name, why);
    } else {
        parity_report_tol(ctx, name, parity_max_abs(out, ref.data, n), tol);
    }
    npy_free(&ref);
}

static void check_resample(parity_ctx *ctx, const char *in, int rin, const char *name, int rout)
{
    if (!parity_has(ctx, in) || !parity_has(ctx, name)) return;
    npy_array x = {0};
    if (!parity_load(ctx, in, &x)) return;
    sinc_resampler *r = sinc_resampler_new(rin, rout);
    size_t n = r ? sinc_resampler_out_len(r, x.count) : 0;
    float *y = malloc(sizeof(float) * (n ? n : 1));
    if (r && y && sinc_resampler_run(r, x.data, x.count, y) == 0)
        compare(ctx, name, y, n, 1e-4);
    else parity_fail(ctx, name, "resampler failed");
    free(y);
    sinc_resampler_free(r);
    npy_free(&x);
}

typedef cv_status (*feat_fn)(const fe_feats *, const float *, size_t, float **, int *);

static void check_feat(parity_ctx *ctx, const fe_feats *fe, const char *in, const char *name,
                       feat_fn fn, int mels, bool transpose_out)
{
    if (!parity_has(ctx, in) || !parity_has(ctx, name)) return;
    npy_array x = {0};
    if (!parity_load(ctx, in, &x)) return;
    float *y = NULL;
    int T = 0;
    cv_status st = fn(fe, x.data, x.count, &y, &T);
    if (cv_is_ok(&st)) {
        if (transpose_out) { /* [mels][T] from [T][mels] or back */
            float *t = malloc(sizeof(float) * (size_t)mels * T);
            for (int i = 0; i < T; i++)
                for (int m = 0; m < mels; m++) t[(size_t)m * T + i] = y[(size_t)i * mels + m];
            free(y);
            y = t;
        }
        compare(ctx, name, y, (size_t)mels * T, PARITY_TOLERANCE);
    } else parity_fail(ctx, name, st.message);
    free(y);
    npy_free(&x);
}

#define TOKEN_TIE 1e-6f

/* Optional: the tokenizer's encoder output, taken as the input of the graph's
 * last ReduceL2 (the L2 normalisation before the codebook lookup). */
static void check_tokenizer_hidden(parity_ctx *ctx, const char *tok_path)
{
    if (!parity_has(ctx, "fe_tokenizer_hidden") || !parity_has(ctx, "fe_whisper_mel128")) return;
    ox_model *m = NULL;
    cv_status st = ox_model_load(tok_path, &m);
    const char *name = cv_is_ok(&st) ? ox_model_last_node_input(m, "ReduceL2", 0) : NULL;
    npy_array mel = {0}, ref = {0};
    if (!name) {
        parity_skip(ctx, "fe_tokenizer_hidden", cv_is_ok(&st) ? "no ReduceL2 in the tokenizer" : st.message);
    } else if (parity_load(ctx, "fe_whisper_mel128", &mel) && parity_load(ctx, "fe_tokenizer_hidden", &ref) &&
               mel.ndim == 3) {
        int64_t fs[3] = {1, mel.shape[1], mel.shape[2]}, ls[1] = {1};
        ox_tensor *f = ox_tensor_new(OX_FLOAT, 3, fs), *len = ox_tensor_new(OX_INT32, 1, ls);
        ox_tensor *outs[8] = {0}, *hidden = NULL;
        int fi = ox_model_input_index(m, "feats"), li = ox_model_input_index(m, "feats_length");
        if (fi < 0 || li < 0) { /* positional, as frontend.py binds them */
            fi = 0;
            li = 1;
        }
        if (f && len && fi >= 0 && li >= 0 && ox_model_n_inputs(m) == 2 && ox_model_n_outputs(m) <= 8) {
            memcpy(f->data, mel.data, sizeof(float) * mel.count);
            ox_i32(len)[0] = (int32_t)mel.shape[2];
            const ox_tensor *ins[2];
            ins[fi] = f;
            ins[li] = len;
            st = ox_run_ex(m, ins, outs, &name, 1, &hidden);
            if (cv_is_ok(&st)) compare(ctx, "fe_tokenizer_hidden", ox_f(hidden), hidden->count, PARITY_TOLERANCE);
            else parity_fail(ctx, "fe_tokenizer_hidden", st.message);
            for (int j = 0; j < ox_model_n_outputs(m); j++) ox_tensor_free(outs[j]);
            ox_tensor_free(hidden);
        } else {
            parity_fail(ctx, "fe_tokenizer_hidden", "unexpected tokenizer inputs");
        }
        ox_tensor_free(f);
        ox_tensor_free(len);
    }
    npy_free(&mel);
    npy_free(&ref);
    ox_model_free(m);
}

/* The two ONNX networks on the golden inputs of their stages. */
static void check_networks(parity_ctx *ctx)
{
    char camp[4096], tok[4096];
    parity_path(ctx, "campplus.onnx", camp, sizeof camp);
    parity_path(ctx, "speech_tokenizer_v1.onnx", tok, sizeof tok);
    if (access(camp, R_OK) || access(tok, R_OK)) {
        parity_skip(ctx, "fe_networks", "no campplus.onnx / speech_tokenizer_v1.onnx");
        return;
    }
    cv_status st;
    prompt_frontend *pf = prompt_frontend_load_files(camp, tok, NULL, &st);
    if (!pf) {
        parity_fail(ctx, "prompt_frontend_load", st.message);
        return;
    }
    npy_array fb = {0}, mel = {0}, ref = {0};
    if (parity_has(ctx, "fe_fbank80") && parity_has(ctx, "fe_spk_embedding") &&
        parity_load(ctx, "fe_fbank80", &fb)) {
        float emb[PROMPT_SPK_DIM];
        st = fb.ndim == 2 && fb.shape[1] == FE_FBANK_MELS
                 ? prompt_frontend_embedding(pf, fb.data, (int)fb.shape[0], emb)
                 : cv_error(CV_INVALID_ARGUMENT, "fe_fbank80 is not [T, 80]");
        if (cv_is_ok(&st)) compare(ctx, "fe_spk_embedding", emb, PROMPT_SPK_DIM, PARITY_TOLERANCE);
        else parity_fail(ctx, "fe_spk_embedding", st.message);
    }
    if (parity_has(ctx, "fe_whisper_mel128") && parity_has(ctx, "fe_speech_token") &&
        parity_load(ctx, "fe_whisper_mel128", &mel) && parity_load(ctx, "fe_speech_token", &ref)) {
        int32_t *tokens = NULL;
        float *scores = NULL;
        int nt = 0, ncodes = 0;
        st = mel.ndim == 3 && mel.shape[1] == FE_WHISPER_MELS
                 ? prompt_frontend_tokens_scored(pf, mel.data, (int)mel.shape[2], &tokens, &nt,
                                                 &scores, &ncodes)
                 : cv_error(CV_INVALID_ARGUMENT, "fe_whisper_mel128 is not [1, 128, T]");
        if (!cv_is_ok(&st)) {
            parity_fail(ctx, "fe_speech_token", st.message);
        } else if ((size_t)nt != ref.count) {
            char why[128];
            snprintf(why, sizeof why, "%d tokens, golden has %zu", nt, ref.count);
            parity_fail(ctx, "fe_speech_token", why);
        } else {
            /* A differing token passes only if the golden choice scores within
             * TOKEN_TIE of ours in our own scores: a float32 near-tie (random
             * codebooks produce them at 1-ulp distance), not a wrong network. */
            int diff = 0, ties = 0;
            for (int i = 0; i < nt; i++) {
                if (tokens[i] == ref.idata[i]) continue;
                diff++;
                const int64_t r = ref.idata[i];
                const float gap = r >= 0 && r < ncodes
                                      ? scores[(size_t)i * ncodes + tokens[i]] -
                                            scores[(size_t)i * ncodes + r]
                                      : INFINITY;
                if (gap <= TOKEN_TIE) ties++;
                printf("%-24s frame %d: ours %d, golden %lld, score gap %.1e\n", "fe_speech_token", i,
                       tokens[i], (long long)r, gap);
            }
            const bool ok = diff == ties;
            printf("%-24s %d/%d tokens differ (%d of them float32 near-ties)  %s\n",
                   "fe_speech_token", diff, nt, ties, ok ? "ok" : "FAIL");
            ctx->checks++;
            if (!ok) ctx->failures++;
        }
        free(tokens);
        free(scores);
    }
    npy_free(&fb);
    npy_free(&mel);
    npy_free(&ref);
    prompt_frontend_free(pf);
    check_tokenizer_hidden(ctx, tok);
}

static void run_frontend(parity_ctx *ctx)
{
    if (!parity_has(ctx, "fe_speech_16k")) {
        parity_skip(ctx, "frontend", "no fe_*.npy in the golden directory");
        return;
    }
    check_resample(ctx, "fe_wav", 24000, "fe_speech_16k", 16000);
    check_resample(ctx, "fe_speech_16k", 16000, "fe_speech_22050", 22050);

    fe_prompt_mel_config cfg;
    cv_status st = fe_prompt_mel_config_from_yaml(ctx->yaml, &cfg);
    fe_feats *fe = cv_is_ok(&st) ? fe_feats_new(&cfg, &st) : NULL;
    if (!fe) {
        parity_fail(ctx, "fe_feats", st.message);
        return;
    }
    check_feat(ctx, fe, "fe_speech_16k", "fe_whisper_mel128", fe_whisper_mel, FE_WHISPER_MELS,
               false);
    check_feat(ctx, fe, "fe_speech_16k", "fe_fbank80", fe_fbank, FE_FBANK_MELS, false);
    check_feat(ctx, fe, "fe_speech_22050", "fe_prompt_feat", fe_prompt_mel, cfg.n_mels, false);
    fe_feats_free(fe);
    check_networks(ctx);
}

const parity_group parity_group_frontend = {"frontend", CV_FAMILY_V1, run_frontend};
