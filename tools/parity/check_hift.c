/* HiFT vocoder checks: f0 predictor, sine source (det_noise), decode, and
 * decode with a cached source prefix. Sizes come from the yaml and the npy
 * shapes, so any golden directory made the same way works. */
#include <stdlib.h>
#include <string.h>

#include "model/blocks/hift.h"
#include "model/io/pt_load.h"
#include "nn/nn.h"
#include "parity.h"

static bool all_data(const parity_ctx *ctx)
{
    static const char *const need[] = {"hift_mel", "hift_f0", "hift_source", "hift_speech"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!parity_has(ctx, need[i])) return false;
    return true;
}

static void run_hift(parity_ctx *ctx)
{
    if (!all_data(ctx)) {
        parity_skip(ctx, "hift", "no hift_*.npy in the golden directory");
        return;
    }
    char path[4096];
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
    npy_array mel = {0}, f0_ref = {0}, src_ref = {0}, sp_ref = {0}, cache = {0}, cached = {0};
    nn_noise *noise = nn_noise_det_new();
    float *f0 = NULL, *src = NULL, *speech = NULL;
    if (!parity_load(ctx, "hift_mel", &mel) || !parity_load(ctx, "hift_f0", &f0_ref) ||
        !parity_load(ctx, "hift_source", &src_ref) || !parity_load(ctx, "hift_speech", &sp_ref))
        goto out;
    /* mel [1, in_channels, T] */
    if (mel.ndim != 3 || mel.shape[0] != 1 || mel.shape[1] != cfg.in_channels) {
        parity_fail(ctx, "hift_mel", "unexpected shape");
        goto out;
    }
    const int T = (int)mel.shape[2], L = T * hift_samples_per_frame(m);
    if (f0_ref.count != (size_t)T || src_ref.count != (size_t)L || sp_ref.count != (size_t)L) {
        parity_fail(ctx, "hift", "golden array sizes disagree with the model's frame rate");
        goto out;
    }
    f0 = malloc(sizeof(float) * T);
    src = malloc(sizeof(float) * L);
    speech = malloc(sizeof(float) * L);

    st = hift_f0(m, mel.data, T, f0);
    if (cv_is_ok(&st)) parity_report(ctx, "hift_f0", parity_max_abs(f0, f0_ref.data, T));
    else parity_fail(ctx, "hift_f0", st.message);

    /* the source from the golden f0, so this check isolates the source module */
    st = hift_source(m, f0_ref.data, T, noise, src);
    if (cv_is_ok(&st)) parity_report(ctx, "hift_source", parity_max_abs(src, src_ref.data, L));
    else parity_fail(ctx, "hift_source", st.message);

    st = hift_decode(m, mel.data, T, src_ref.data, speech);
    if (cv_is_ok(&st)) parity_report(ctx, "hift_speech", parity_max_abs(speech, sp_ref.data, L));
    else parity_fail(ctx, "hift_speech", st.message);

    /* end to end from the mel (own f0 and source) */
    st = hift_infer(m, mel.data, T, NULL, 0, noise, speech, src);
    if (cv_is_ok(&st))
        parity_report(ctx, "hift_infer", parity_max_abs(speech, sp_ref.data, L));
    else parity_fail(ctx, "hift_infer", st.message);

    if (parity_has(ctx, "hift_cache_source") && parity_has(ctx, "hift_speech_cached")) {
        if (parity_load(ctx, "hift_cache_source", &cache) &&
            parity_load(ctx, "hift_speech_cached", &cached)) {
            if (cache.count > (size_t)L || cached.count != (size_t)L) {
                parity_fail(ctx, "hift_speech_cached", "unexpected shapes");
            } else {
                st = hift_infer(m, mel.data, T, cache.data, (int)cache.count, noise, speech,
                                NULL);
                if (cv_is_ok(&st))
                    parity_report(ctx, "hift_speech_cached",
                                  parity_max_abs(speech, cached.data, L));
                else parity_fail(ctx, "hift_speech_cached", st.message);
            }
        }
    } else {
        parity_skip(ctx, "hift_speech_cached", "no hift_cache_source / hift_speech_cached");
    }
out:
    free(f0), free(src), free(speech);
    npy_free(&mel), npy_free(&f0_ref), npy_free(&src_ref), npy_free(&sp_ref);
    npy_free(&cache), npy_free(&cached);
    nn_noise_free(noise);
    hift_free(m);
    pt_free(&weights);
}

const parity_group parity_group_hift = {"hift", CV_FAMILY_V1, run_hift};
