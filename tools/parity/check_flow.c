/* Flow checks: one estimator call (est_*), and flow.inference with a prompt
 * (flow_mel, flow_cache_out) with det_noise as the initial noise. Sizes come
 * from the yaml and the npy shapes, so any golden directory made the same
 * way works. */
#include <stdlib.h>
#include <string.h>

#include "model/v1/flow.h"
#include "model/io/pt_load.h"
#include "nn/nn.h"
#include "parity.h"

/* [B][C][T] -> [C][B*T] (the estimator's batched layout) and back */
static void to_seg(const float *src, int B, int C, int T, float *dst) {
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            memcpy(dst + (size_t)c * B * T + (size_t)b * T, src + ((size_t)b * C + c) * T,
                   (size_t)T * sizeof(float));
}
static void from_seg(const float *src, int B, int C, int T, float *dst) {
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            memcpy(dst + ((size_t)b * C + c) * T, src + (size_t)c * B * T + (size_t)b * T,
                   (size_t)T * sizeof(float));
}

static void check_estimator(parity_ctx *ctx, flow_model *m) {
    static const char *const need[] = {"est_x", "est_mu", "est_t", "est_spks", "est_cond",
                                       "est_out"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!parity_has(ctx, need[i])) {
            parity_skip(ctx, "est_out", "no est_*.npy in the golden directory");
            return;
        }
    npy_array x = {0}, mu = {0}, t = {0}, spks = {0}, cond = {0}, ref = {0};
    float *buf = NULL;
    if (!parity_load(ctx, "est_x", &x) || !parity_load(ctx, "est_mu", &mu) ||
        !parity_load(ctx, "est_t", &t) || !parity_load(ctx, "est_spks", &spks) ||
        !parity_load(ctx, "est_cond", &cond) || !parity_load(ctx, "est_out", &ref))
        goto out;
    int M = flow_model_cfg(m)->output_size;
    if (x.ndim != 3 || x.shape[1] != M || mu.count != x.count || cond.count != x.count ||
        ref.count != x.count || t.count != (size_t)x.shape[0] ||
        spks.count != (size_t)x.shape[0] * M) {
        parity_fail(ctx, "est_out", "unexpected est_* shapes");
        goto out;
    }
    int B = (int)x.shape[0], T = (int)x.shape[2];
    size_t n = x.count;
    buf = malloc(4 * n * sizeof(float));
    float *sx = buf, *smu = sx + n, *scond = smu + n, *sout = scond + n;
    to_seg(x.data, B, M, T, sx);
    to_seg(mu.data, B, M, T, smu);
    to_seg(cond.data, B, M, T, scond);
    cv_status st = flow_estimator_forward(flow_model_estimator(m), B, T, sx, smu, t.data,
                                          spks.data, scond, NULL, sout);
    if (!cv_is_ok(&st)) {
        parity_fail(ctx, "est_out", st.message);
        goto out;
    }
    from_seg(sout, B, M, T, sx);
    parity_report(ctx, "est_out", parity_max_abs(sx, ref.data, n));
out:
    free(buf);
    npy_free(&x), npy_free(&mu), npy_free(&t), npy_free(&spks), npy_free(&cond), npy_free(&ref);
}

static int32_t *as_tokens(const npy_array *a) {
    int32_t *t = malloc((a->count ? a->count : 1) * sizeof(int32_t));
    for (size_t i = 0; t && i < a->count; i++)
        t[i] = a->idata ? (int32_t)a->idata[i] : (int32_t)a->data[i];
    return t;
}

static void check_inference(parity_ctx *ctx, flow_model *m) {
    static const char *const need[] = {"flow_token", "flow_prompt_token", "flow_prompt_feat",
                                       "flow_embedding", "flow_mel"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!parity_has(ctx, need[i])) {
            parity_skip(ctx, "flow_mel", "no flow_*.npy in the golden directory");
            return;
        }
    const flow_config *c = flow_model_cfg(m);
    npy_array tok = {0}, ptok = {0}, feat = {0}, emb = {0}, mel = {0}, cache = {0};
    int32_t *t1 = NULL, *t2 = NULL;
    flow_output o = {0};
    nn_noise *noise = nn_noise_det_new();
    if (!parity_load(ctx, "flow_token", &tok) || !parity_load(ctx, "flow_prompt_token", &ptok) ||
        !parity_load(ctx, "flow_prompt_feat", &feat) || !parity_load(ctx, "flow_embedding", &emb) ||
        !parity_load(ctx, "flow_mel", &mel))
        goto out;
    int M = c->output_size;
    if (feat.ndim != 3 || feat.shape[2] != M || emb.count != (size_t)c->spk_embed_dim) {
        parity_fail(ctx, "flow_mel", "unexpected flow_* shapes");
        goto out;
    }
    t1 = as_tokens(&ptok);
    t2 = as_tokens(&tok);
    flow_input in = {.tokens = t2, .n_tokens = (int)tok.count, .prompt_tokens = t1,
                     .n_prompt_tokens = (int)ptok.count, .prompt_feat = feat.data,
                     .n_prompt_frames = (int)feat.shape[1], .embedding = emb.data};
    cv_status st = flow_inference(m, &in, noise, &o);
    if (!cv_is_ok(&st)) {
        parity_fail(ctx, "flow_mel", st.message);
        goto out;
    }
    if (mel.count != (size_t)M * o.mel_frames)
        parity_fail(ctx, "flow_mel", "mel length differs from the golden one");
    else
        parity_report(ctx, "flow_mel", parity_max_abs(o.mel, mel.data, mel.count));
    if (!parity_has(ctx, "flow_cache_out"))
        parity_skip(ctx, "flow_cache_out", "no flow_cache_out.npy");
    else if (parity_load(ctx, "flow_cache_out", &cache)) {
        if (cache.count != (size_t)M * o.cache_frames * 2)
            parity_fail(ctx, "flow_cache_out", "cache length differs from the golden one");
        else
            parity_report(ctx, "flow_cache_out", parity_max_abs(o.cache, cache.data, cache.count));
    }
out:
    flow_output_free(&o);
    nn_noise_free(noise);
    free(t1);
    free(t2);
    npy_free(&tok), npy_free(&ptok), npy_free(&feat), npy_free(&emb), npy_free(&mel);
    npy_free(&cache);
}

static void run_flow(parity_ctx *ctx) {
    if (!parity_has(ctx, "est_out") && !parity_has(ctx, "flow_mel")) {
        parity_skip(ctx, "flow", "no est_*/flow_*.npy in the golden directory");
        return;
    }
    char path[4096];
    flow_config cfg;
    pt_dict weights = {0};
    flow_model *m = NULL;
    cv_status st = flow_config_from_yaml(ctx->yaml, &cfg);
    if (cv_is_ok(&st)) st = pt_load(parity_path(ctx, "flow.pt", path, sizeof path), &weights);
    if (cv_is_ok(&st)) st = flow_model_load(&weights, &cfg, &m);
    if (!cv_is_ok(&st)) {
        parity_fail(ctx, "flow_load", st.message);
        pt_free(&weights);
        return;
    }
    check_estimator(ctx, m);
    check_inference(ctx, m);
    flow_model_free(m);
    pt_free(&weights);
}

const parity_group parity_group_flow = {"flow", CV_FAMILY_V1, run_flow};
