/* HiFT vocoder checks for every family: f0 predictor, sine source
 * (det_noise), decode, the whole vocoder from the mel, and decode with a
 * cached source prefix (v1, v2). CosyVoice3's causal vocoder adds the
 * finalize=False forms (_nf) and the streaming calls over growing mel
 * prefixes that CosyVoice3Model makes (stream_*). Sizes come from the yaml
 * and the npy shapes, so any golden directory made the same way works. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/blocks/hift.h"
#include "model/io/pt_load.h"
#include "nn/nn.h"
#include "parity.h"

typedef struct hift_case {
    parity_ctx *ctx;
    hift_model *m;
    nn_noise *noise;
    const float *mel; /* [C][T] */
    int C, T;
} hift_case;

/* Loads prefix+base and checks it holds n values. */
static bool load_n(parity_ctx *ctx, const char *base, size_t n, npy_array *a)
{
    char name[PARITY_NAME_MAX];
    if (!parity_load(ctx, parity_name(ctx, base, name), a)) return false;
    if (a->count == n) return true;
    char why[96];
    snprintf(why, sizeof why, "%zu values, expected %zu", a->count, n);
    parity_fail(ctx, name, why);
    return false;
}

static void report(parity_ctx *ctx, const char *base, cv_status st, const float *got,
                   const float *want, size_t n)
{
    char name[PARITY_NAME_MAX];
    parity_name(ctx, base, name);
    if (cv_is_ok(&st)) parity_report(ctx, name, parity_max_abs(got, want, n));
    else parity_fail(ctx, name, st.message);
}

static void check_cached(hift_case *h, int L, float *speech)
{
    parity_ctx *ctx = h->ctx;
    char n1[PARITY_NAME_MAX], n2[PARITY_NAME_MAX];
    if (!parity_has(ctx, parity_name(ctx, "hift_cache_source", n1)) ||
        !parity_has(ctx, parity_name(ctx, "hift_speech_cached", n2)))
        return; /* the causal vocoder has no source cache */
    npy_array cache = {0}, cached = {0};
    if (parity_load(ctx, n1, &cache) && load_n(ctx, "hift_speech_cached", (size_t)L, &cached)) {
        if (cache.count > (size_t)L) {
            parity_fail(ctx, n2, "cache longer than the audio");
        } else {
            cv_status st = hift_infer(h->m, h->mel, h->T, cache.data, (int)cache.count, h->noise,
                                      speech, NULL);
            report(ctx, "hift_speech_cached", st, speech, cached.data, (size_t)L);
        }
    }
    npy_free(&cache), npy_free(&cached);
}

/* finalize=False: f0 and source keep the predictor's look-ahead back, the
 * decoder conv_pre's and one frame more. */
static void check_not_final(hift_case *h)
{
    parity_ctx *ctx = h->ctx;
    char name[PARITY_NAME_MAX];
    if (!parity_has(ctx, parity_name(ctx, "hift_speech_nf", name))) return;
    const int F = hift_f0_frames(h->m, h->T, false), spf = hift_samples_per_frame(h->m);
    const int n = hift_infer_samples(h->m, h->T, false);
    npy_array f0_ref = {0}, src_ref = {0}, sp_ref = {0};
    float *f0 = malloc(sizeof(float) * F), *src = malloc(sizeof(float) * F * spf);
    float *speech = malloc(sizeof(float) * (n > 0 ? n : 1)), *mel = NULL;
    if (!load_n(ctx, "hift_f0_nf", (size_t)F, &f0_ref) ||
        !load_n(ctx, "hift_source_nf", (size_t)F * spf, &src_ref) ||
        !load_n(ctx, "hift_speech_nf", (size_t)n, &sp_ref))
        goto out;
    report(ctx, "hift_f0_nf", hift_f0_ex(h->m, h->mel, h->T, false, f0), f0, f0_ref.data, F);
    report(ctx, "hift_source_nf", hift_source(h->m, f0_ref.data, F, h->noise, src), src,
           src_ref.data, (size_t)F * spf);
    /* decode(mel[:, :, :-look], source, finalize=False) */
    mel = malloc(sizeof(float) * h->C * F);
    for (int c = 0; c < h->C; c++)
        memcpy(mel + (size_t)c * F, h->mel + (size_t)c * h->T, sizeof(float) * F);
    report(ctx, "hift_decode_nf", hift_decode_ex(h->m, mel, F, src_ref.data, false, speech),
           speech, sp_ref.data, (size_t)n);
    report(ctx, "hift_speech_nf",
           hift_infer_ex(h->m, h->mel, h->T, false, NULL, 0, h->noise, speech, NULL), speech,
           sp_ref.data, (size_t)n);
out:
    free(f0), free(src), free(speech), free(mel);
    npy_free(&f0_ref), npy_free(&src_ref), npy_free(&sp_ref);
}

/* CosyVoice3Model's vocoder schedule over one mel: call k re-runs the
 * vocoder on the first cuts[k] frames (finalize only on the last) and
 * yields the samples past those already yielded. The cuts are the
 * manifest's hift.stream_cuts. */
static void check_stream(hift_case *h)
{
    parity_ctx *ctx = h->ctx;
    char lname[PARITY_NAME_MAX], sname[PARITY_NAME_MAX];
    if (!parity_has(ctx, parity_name(ctx, "hift_stream_lengths", lname))) return;
    parity_name(ctx, "hift_stream_speech", sname);
    json_t *cuts = json_object_get(json_object_get(parity_manifest(ctx), "hift"), "stream_cuts");
    if (!json_is_array(cuts) || json_array_size(cuts) == 0) {
        parity_fail(ctx, sname, "MANIFEST.json has no hift.stream_cuts");
        return;
    }
    npy_array lens = {0}, ref = {0};
    float *all = malloc(sizeof(float) * h->T * hift_samples_per_frame(h->m));
    float *mel = malloc(sizeof(float) * h->C * h->T);
    float *speech = malloc(sizeof(float) * h->T * hift_samples_per_frame(h->m));
    int n_cuts = (int)json_array_size(cuts), total = 0;
    bool lengths_ok = parity_load(ctx, lname, &lens) && parity_load(ctx, sname, &ref) &&
                      lens.count == (size_t)n_cuts;
    for (int k = 0; lengths_ok && k < n_cuts; k++) {
        int c = (int)json_integer_value(json_array_get(cuts, (size_t)k));
        bool fin = k == n_cuts - 1;
        if (c < 1 || c > h->T) {
            parity_fail(ctx, sname, "bad cut in the manifest");
            goto out;
        }
        for (int ch = 0; ch < h->C; ch++)
            memcpy(mel + (size_t)ch * c, h->mel + (size_t)ch * h->T, sizeof(float) * c);
        int n = hift_infer_samples(h->m, c, fin);
        cv_status st = hift_infer_ex(h->m, mel, c, fin, NULL, 0, h->noise, speech, NULL);
        if (!cv_is_ok(&st)) {
            parity_fail(ctx, sname, st.message);
            goto out;
        }
        int want = (int)(lens.idata ? lens.idata[k] : lens.data[k]);
        lengths_ok = n - total == want;
        if (lengths_ok) memcpy(all + total, speech + total, sizeof(float) * (n - total));
        total = n;
    }
    if (!lengths_ok || (size_t)total != ref.count) {
        parity_fail(ctx, lname, "yielded lengths differ from the golden ones");
        goto out;
    }
    parity_report(ctx, lname, 0.0);
    parity_report(ctx, sname, parity_max_abs(all, ref.data, ref.count));
out:
    free(all), free(mel), free(speech);
    npy_free(&lens), npy_free(&ref);
}

static void run_hift(parity_ctx *ctx)
{
    char path[4096], name[PARITY_NAME_MAX];
    if (!parity_has(ctx, parity_name(ctx, "hift_mel", name))) {
        parity_skip(ctx, "hift", "no hift_*.npy in the golden directory");
        return;
    }
    hift_config cfg;
    cv_status st = hift_config_from_yaml(ctx->yaml, &cfg);
    pt_dict weights = {0};
    if (cv_is_ok(&st)) st = pt_load(parity_path(ctx, "hift.pt", path, sizeof path), &weights);
    hift_model *m = cv_is_ok(&st) ? hift_load(&cfg, &weights, &st) : NULL;
    if (!m) {
        parity_fail(ctx, "hift_load", st.message);
        pt_free(&weights);
        return;
    }
    npy_array mel = {0}, f0_ref = {0}, src_ref = {0}, sp_ref = {0};
    nn_noise *noise = nn_noise_det_new();
    float *f0 = NULL, *src = NULL, *speech = NULL;
    if (!parity_load(ctx, name, &mel)) goto out;
    /* mel [1, in_channels, T] */
    if (mel.ndim != 3 || mel.shape[0] != 1 || mel.shape[1] != cfg.in_channels) {
        parity_fail(ctx, name, "unexpected shape");
        goto out;
    }
    const int T = (int)mel.shape[2], L = T * hift_samples_per_frame(m);
    if (!load_n(ctx, "hift_f0", (size_t)T, &f0_ref) || !load_n(ctx, "hift_source", (size_t)L, &src_ref) ||
        !load_n(ctx, "hift_speech", (size_t)L, &sp_ref))
        goto out;
    f0 = malloc(sizeof(float) * T);
    src = malloc(sizeof(float) * L);
    speech = malloc(sizeof(float) * L);
    hift_case h = {ctx, m, noise, mel.data, cfg.in_channels, T};

    report(ctx, "hift_f0", hift_f0(m, mel.data, T, f0), f0, f0_ref.data, T);
    /* the source from the golden f0, so this check isolates the source module */
    report(ctx, "hift_source", hift_source(m, f0_ref.data, T, noise, src), src, src_ref.data, L);
    report(ctx, "hift_speech", hift_decode(m, mel.data, T, src_ref.data, speech), speech,
           sp_ref.data, L);
    /* end to end from the mel (own f0 and source) */
    report(ctx, "hift_infer", hift_infer(m, mel.data, T, NULL, 0, noise, speech, src), speech,
           sp_ref.data, L);
    check_cached(&h, L, speech);
    if (cfg.causal) {
        check_not_final(&h);
        check_stream(&h);
    }
out:
    free(f0), free(src), free(speech);
    npy_free(&mel), npy_free(&f0_ref), npy_free(&src_ref), npy_free(&sp_ref);
    nn_noise_free(noise);
    hift_free(m);
    pt_free(&weights);
}

const parity_group parity_group_hift = {"hift", CV_FAMILY_V1 | CV_FAMILY_V2 | CV_FAMILY_V3,
                                        run_hift};
