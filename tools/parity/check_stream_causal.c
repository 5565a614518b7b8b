/* Streaming token-to-audio checks for CosyVoice2 and CosyVoice3: the golden
 * stream tokens go straight into a token queue (no LM) and through the
 * family's token-to-audio loop, streaming and not, with and without a flow
 * prompt, as MANIFEST.json's stream.runs list them. Every run's token2wav
 * calls (tokens, offset, streaming, finalize) must be the manifest's, its
 * chunk lengths the golden ones, and:
 *
 *  - CosyVoice2: the audio within 1e-3, but for these ~11.6 s utterances
 *    1e-2 (the sine source's float32 phase: the reference differs from its
 *    own float64 run by 1.5e-3 on them; the figure is printed);
 *  - CosyVoice3: tokens -> mel (the mel the vocoder saw last) within 1e-3;
 *    mel -> audio within 1e-3 by re-running the vocoder on the golden mel
 *    with the recorded schedule; end to end, the audio's rms difference
 *    within 1e-2 (README-cosyvoice3.md: the phase integrates f0, so a 1e-5
 *    mel difference moves samples by ~0.1 after seconds; max printed).
 *
 * Noise: the flow's fixed buffer (det_noise for v2, the golden flow_z for
 * v3) and det_noise for the vocoder. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/blocks/causal_t2w.h"
#include "model/blocks/hift.h"
#include "model/io/pt_load.h"
#include "model/v2/flow.h"
#include "model/v2/token2wav.h"
#include "model/v3/flow.h"
#include "model/v3/token2wav.h"
#include "nn/nn.h"
#include "parity.h"

#define MAX_CALLS 64
#define V2_LONG_TOLERANCE 1e-2
#define V3_RMS_TOLERANCE 1e-2

typedef struct trace_call {
    int n_tokens, offset;
    bool streaming, finalize;
} trace_call;

typedef struct collected {
    parity_audio audio; /* first: the emit callback's user */
    trace_call calls[MAX_CALLS];
    int n_calls;
} collected;

static void trace(void *user, int n_tokens, int offset, bool streaming, bool finalize)
{
    collected *c = user;
    if (c->n_calls < MAX_CALLS)
        c->calls[c->n_calls] = (trace_call){n_tokens, offset, streaming, finalize};
    c->n_calls++;
}

typedef struct models {
    instance_pool *flows;
    hift_model *hift;
    nn_noise *noise;
} models;

/* The run's token2wav calls against the manifest's. */
static void check_calls(parity_ctx *ctx, const char *run, const collected *got, json_t *calls)
{
    char name[PARITY_NAME_MAX];
    snprintf(name, sizeof name, "%s%s_calls", ctx->prefix, run);
    if (!json_is_array(calls)) {
        parity_skip(ctx, name, "no token2wav_calls in MANIFEST.json");
        return;
    }
    bool same = got->n_calls == (int)json_array_size(calls) && got->n_calls <= MAX_CALLS;
    for (int i = 0; same && i < got->n_calls; i++) {
        json_t *c = json_array_get(calls, (size_t)i);
        const trace_call *t = &got->calls[i];
        same = json_integer_value(json_object_get(c, "n_tokens")) == t->n_tokens &&
               json_integer_value(json_object_get(c, "token_offset")) == t->offset &&
               json_is_true(json_object_get(c, "stream")) == t->streaming &&
               json_is_true(json_object_get(c, "finalize")) == t->finalize;
    }
    printf("%-24s", name);
    for (int i = 0; i < got->n_calls && i < MAX_CALLS; i++)
        printf(" %d@%d%s", got->calls[i].n_tokens, got->calls[i].offset,
               got->calls[i].finalize ? "F" : "");
    printf("\n");
    if (same) parity_report(ctx, name, 0.0);
    else parity_fail(ctx, name, "token2wav calls differ from MANIFEST.json's");
}

static double rms_diff(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return n ? sqrt(s / (double)n) : 0.0;
}

/* CosyVoice3: the vocoder schedule of the run replayed on the golden mel
 * (call k vocodes its first vocoder_mel_frames frames). */
static void check_v3_vocoder(parity_ctx *ctx, const models *m, const char *run, json_t *calls,
                             const npy_array *mel, const npy_array *ref)
{
    char name[PARITY_NAME_MAX];
    snprintf(name, sizeof name, "%s%s_mel_to_audio", ctx->prefix, run);
    const int C = hift_get_config(m->hift)->in_channels, T = (int)mel->shape[2];
    float *part = malloc(sizeof(float) * C * T), *wav = malloc(sizeof(float) * T * 480 * 2);
    float *all = malloc(sizeof(float) * ref->count);
    size_t total = 0;
    bool ok = part && wav && all;
    for (size_t k = 0; ok && k < json_array_size(calls); k++) {
        json_t *c = json_array_get(calls, k);
        int f = (int)json_integer_value(json_object_get(c, "vocoder_mel_frames"));
        bool fin = json_is_true(json_object_get(c, "finalize"));
        if (f < 1 || f > T) {
            ok = false;
            break;
        }
        for (int ch = 0; ch < C; ch++)
            memcpy(part + (size_t)ch * f, mel->data + (size_t)ch * T, sizeof(float) * f);
        int n = hift_infer_samples(m->hift, f, fin);
        cv_status st = hift_infer_ex(m->hift, part, f, fin, NULL, 0, m->noise, wav, NULL);
        ok = cv_is_ok(&st) && (size_t)n >= total && (size_t)n <= ref->count;
        if (ok) memcpy(all + total, wav + total, sizeof(float) * (n - total));
        total = ok ? (size_t)n : total;
    }
    if (!ok || total != ref->count) parity_fail(ctx, name, "the recorded schedule did not replay");
    else parity_report(ctx, name, parity_max_abs(all, ref->data, ref->count));
    free(part), free(wav), free(all);
}

static void run_case(parity_ctx *ctx, const models *m, const char *run, json_t *spec,
                     const int32_t *tokens, int n_tokens, const float *emb,
                     const npy_array *ptok, const npy_array *pfeat)
{
    char lname[PARITY_NAME_MAX], sname[PARITY_NAME_MAX], mname[PARITY_NAME_MAX], base[64];
    snprintf(base, sizeof base, "%s_lengths", run);
    parity_name(ctx, base, lname);
    snprintf(base, sizeof base, "%s_speech", run);
    parity_name(ctx, base, sname);
    snprintf(base, sizeof base, "%s_mel", run);
    parity_name(ctx, base, mname);
    if (!parity_has(ctx, lname) || !parity_has(ctx, sname)) {
        parity_skip(ctx, sname, "no golden data");
        return;
    }
    json_t *calls = json_object_get(spec, "token2wav_calls");
    bool stream = false, with_prompt = strstr(run, "prompt") || !strcmp(run, "tts_lm");
    for (size_t i = 0; i < json_array_size(calls); i++)
        stream = stream || json_is_true(json_object_get(json_array_get(calls, i), "stream"));
    npy_array lens = {0}, ref = {0}, mel = {0};
    int32_t *pt = NULL;
    token_queue q;
    bool q_ok = false;
    causal_t2w *s = NULL;
    collected got = {0};
    if (!parity_load(ctx, lname, &lens) || !parity_load(ctx, sname, &ref)) goto out;
    t2w_prompt prompt = {.embedding = emb};
    if (with_prompt) {
        pt = parity_tokens(ptok);
        prompt = (t2w_prompt){pt, (int)ptok->count, pfeat->data, (int)pfeat->shape[1], emb};
    }
    causal_t2w_params p = causal_t2w_params_default();
    cv_status st = ctx->family == CV_FAMILY_V2
                       ? t2w2_new(m->flows, m->hift, &p, &prompt, m->noise, &s)
                       : t2w3_new(m->flows, m->hift, &p, &prompt, m->noise, &s);
    if (cv_is_ok(&st)) st = token_queue_init(&q);
    if (!cv_is_ok(&st)) {
        parity_fail(ctx, sname, st.message);
        goto out;
    }
    q_ok = true;
    causal_t2w_set_trace(s, trace, &got);
    for (int i = 0; i < n_tokens; i++) token_queue_push(&q, tokens[i]);
    token_queue_finish(&q, cv_ok());
    st = causal_t2w_run(s, &q, stream, 1.0f, parity_collect, &got.audio, NULL);
    if (!cv_is_ok(&st)) {
        parity_fail(ctx, sname, st.message);
        goto out;
    }
    check_calls(ctx, run, &got, calls);
    parity_check_lengths(ctx, lname, &got.audio, &lens);
    if (got.audio.n != ref.count) {
        parity_fail(ctx, sname, "total length differs from the golden one");
        goto out;
    }
    double err = parity_max_abs(got.audio.pcm, ref.data, ref.count);
    if (ctx->family == CV_FAMILY_V2) {
        double secs = (double)ref.count / 24000.0;
        parity_report_tol(ctx, sname, err, secs > 8.0 ? V2_LONG_TOLERANCE : PARITY_TOLERANCE);
        goto out;
    }
    /* CosyVoice3: tokens -> mel, mel -> audio, and end to end */
    if (parity_has(ctx, mname) && parity_load(ctx, mname, &mel)) {
        int frames = 0;
        const float *our = t2w3_mel(s, &frames);
        if (mel.ndim != 3 || mel.count != (size_t)frames * mel.shape[1])
            parity_fail(ctx, mname, "mel length differs from the golden one");
        else
            parity_report(ctx, mname, parity_max_abs(our, mel.data, mel.count));
        check_v3_vocoder(ctx, m, run, calls, &mel, &ref);
    }
    double rms = rms_diff(got.audio.pcm, ref.data, ref.count);
    printf("%-24s end to end: max abs %.3e (not held to 1e-3, see above)\n", sname, err);
    parity_report_metric(ctx, sname, "rms_err", rms, V3_RMS_TOLERANCE);
out:
    if (q_ok) token_queue_destroy(&q);
    causal_t2w_free(s);
    free(got.audio.pcm);
    free(pt);
    npy_free(&lens), npy_free(&ref), npy_free(&mel);
}

static void run_stream(parity_ctx *ctx)
{
    char path[4096], name[PARITY_NAME_MAX];
    json_t *runs = json_object_get(json_object_get(parity_manifest(ctx), "stream"), "runs");
    if (!parity_has(ctx, parity_name(ctx, "stream_tokens", name)) || !json_is_object(runs)) {
        parity_skip(ctx, "stream", "no stream_*.npy / MANIFEST.json stream.runs");
        return;
    }
    hift_config hcfg;
    flow2_config f2;
    flow3_config f3;
    pt_dict fw = {0}, hw = {0};
    models m = {0};
    npy_array tok = {0}, emb = {0}, ptok = {0}, pfeat = {0}, lm_tok = {0};
    int32_t *tokens = NULL, *lm_tokens = NULL;
    m.noise = parity_noise(ctx);
    if (!m.noise) return;
    cv_status st = hift_config_from_yaml(ctx->yaml, &hcfg);
    if (cv_is_ok(&st))
        st = ctx->family == CV_FAMILY_V2 ? flow2_config_from_yaml(ctx->yaml, &f2)
                                         : flow3_config_from_yaml(ctx->yaml, &f3);
    if (cv_is_ok(&st)) st = pt_load(parity_path(ctx, "flow.pt", path, sizeof path), &fw);
    if (cv_is_ok(&st)) st = pt_load(parity_path(ctx, "hift.pt", path, sizeof path), &hw);
    if (cv_is_ok(&st))
        st = ctx->family == CV_FAMILY_V2 ? flow2_pool_new(&fw, &f2, m.noise, &m.flows)
                                         : flow3_pool_new(&fw, &f3, m.noise, &m.flows);
    if (cv_is_ok(&st)) m.hift = hift_load(&hcfg, &hw, &st);
    if (!cv_is_ok(&st)) {
        parity_fail(ctx, "stream_load", st.message);
        goto out;
    }
    if (!parity_load(ctx, parity_name(ctx, "stream_tokens", name), &tok) ||
        !parity_load(ctx, parity_name(ctx, "stream_embedding", name), &emb) ||
        !parity_load(ctx, parity_name(ctx, "stream_prompt_token", name), &ptok) ||
        !parity_load(ctx, parity_name(ctx, "stream_prompt_feat", name), &pfeat))
        goto out;
    tokens = parity_tokens(&tok);
    const char *run;
    json_t *spec;
    json_object_foreach(runs, run, spec) {
        if (!strcmp(run, "tts_lm")) { /* the LM's kept tokens, through the same loop */
            if (!parity_has(ctx, parity_name(ctx, "tts_lm_tokens", name)) ||
                !parity_load(ctx, name, &lm_tok))
                continue;
            free(lm_tokens);
            lm_tokens = parity_tokens(&lm_tok);
            run_case(ctx, &m, run, spec, lm_tokens, (int)lm_tok.count, emb.data, &ptok, &pfeat);
        } else {
            run_case(ctx, &m, run, spec, tokens, (int)tok.count, emb.data, &ptok, &pfeat);
        }
    }
out:
    free(tokens), free(lm_tokens);
    npy_free(&tok), npy_free(&emb), npy_free(&ptok), npy_free(&pfeat), npy_free(&lm_tok);
    hift_free(m.hift);
    instance_pool_free(m.flows, free);
    nn_noise_free(m.noise);
    pt_free(&fw);
    pt_free(&hw);
}

const parity_group parity_group_stream_causal = {"stream", CV_FAMILY_V2 | CV_FAMILY_V3,
                                                 run_stream};
