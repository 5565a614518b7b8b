/* Flow checks for CosyVoice2 and CosyVoice3 (the causal flows): one
 * vector-field call with and without the streaming chunk mask (est_out,
 * est_out_stream), and flow.inference with a prompt, non-streaming
 * (flow_mel, flow_mu) and streaming with the last tokens as look-ahead only
 * (flow_stream_mel, flow_stream_mu), noise from the fixed det_noise buffer.
 * Sizes come from the yaml and the npy shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/blocks/causal_flow.h"
#include "model/io/pt_load.h"
#include "model/v2/flow.h"
#include "model/v3/flow.h"
#include "nn/nn.h"
#include "parity.h"

/* One flow.inference call compared on its new mel and its mu. */
static void check_inference(parity_ctx *ctx, causal_flow *f, bool streaming,
                            const char *mel_base, const char *mu_base)
{
    static const char *const need[] = {"flow_token", "flow_prompt_token", "flow_prompt_feat",
                                       "flow_embedding"};
    char name[PARITY_NAME_MAX], mel_name[PARITY_NAME_MAX], mu_name[PARITY_NAME_MAX];
    parity_name(ctx, mel_base, mel_name);
    parity_name(ctx, mu_base, mu_name);
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!parity_has(ctx, parity_name(ctx, need[i], name)) || !parity_has(ctx, mel_name)) {
            parity_skip(ctx, mel_name, "no flow_*.npy in the golden directory");
            return;
        }
    const causal_flow_config *c = causal_flow_cfg(f);
    npy_array tok = {0}, ptok = {0}, feat = {0}, emb = {0}, mel = {0}, mu = {0};
    int32_t *t1 = NULL, *t2 = NULL;
    causal_flow_output o = {0};
    if (!parity_load(ctx, parity_name(ctx, "flow_token", name), &tok) ||
        !parity_load(ctx, parity_name(ctx, "flow_prompt_token", name), &ptok) ||
        !parity_load(ctx, parity_name(ctx, "flow_prompt_feat", name), &feat) ||
        !parity_load(ctx, parity_name(ctx, "flow_embedding", name), &emb) ||
        !parity_load(ctx, mel_name, &mel))
        goto out;
    int M = c->output_size;
    if (feat.ndim != 3 || feat.shape[2] != M || emb.count != (size_t)c->spk_embed_dim) {
        parity_fail(ctx, mel_name, "unexpected flow_* shapes");
        goto out;
    }
    t1 = parity_tokens(&ptok);
    t2 = parity_tokens(&tok);
    causal_flow_input in = {.tokens = t2, .n_tokens = (int)tok.count, .prompt_tokens = t1,
                            .n_prompt_tokens = (int)ptok.count, .prompt_feat = feat.data,
                            .n_prompt_frames = (int)feat.shape[1], .embedding = emb.data,
                            .streaming = streaming, .finalize = !streaming, .want_mu = true};
    cv_status st = causal_flow_infer(f, &in, &o);
    if (!cv_is_ok(&st)) {
        parity_fail(ctx, mel_name, st.message);
        goto out;
    }
    if (mel.count != (size_t)M * o.mel_frames)
        parity_fail(ctx, mel_name, "mel length differs from the golden one");
    else
        parity_report(ctx, mel_name, parity_max_abs(o.mel, mel.data, mel.count));
    if (!parity_has(ctx, mu_name))
        parity_skip(ctx, mu_name, "not in the golden directory");
    else if (parity_load(ctx, mu_name, &mu)) {
        if (mu.count != (size_t)M * o.mu_frames)
            parity_fail(ctx, mu_name, "mu length differs from the golden one");
        else
            parity_report(ctx, mu_name, parity_max_abs(o.mu, mu.data, mu.count));
    }
out:
    causal_flow_output_free(&o);
    free(t1), free(t2);
    npy_free(&tok), npy_free(&ptok), npy_free(&feat), npy_free(&emb), npy_free(&mel);
    npy_free(&mu);
}

/* The family's flow from the directory's yaml and flow.pt. */
cv_status parity_open_causal_flow(parity_ctx *ctx, const pt_dict *sd, const nn_noise *noise,
                                  causal_flow **out)
{
    if (ctx->family == CV_FAMILY_V2) {
        flow2_config cfg;
        cv_status st = flow2_config_from_yaml(ctx->yaml, &cfg);
        return cv_is_ok(&st) ? flow2_load(sd, &cfg, noise, out) : st;
    }
    flow3_config cfg;
    cv_status st = flow3_config_from_yaml(ctx->yaml, &cfg);
    return cv_is_ok(&st) ? flow3_load(sd, &cfg, noise, out) : st;
}

static void run_flow(parity_ctx *ctx)
{
    char path[4096], name[PARITY_NAME_MAX];
    if (!parity_has(ctx, parity_name(ctx, "est_out", name)) &&
        !parity_has(ctx, parity_name(ctx, "flow_mel", name))) {
        parity_skip(ctx, "flow", "no est_*/flow_*.npy in the golden directory");
        return;
    }
    pt_dict sd = {0};
    causal_flow *f = NULL;
    nn_noise *noise = parity_noise(ctx);
    if (!noise) return;
    cv_status st = pt_load(parity_path(ctx, "flow.pt", path, sizeof path), &sd);
    if (cv_is_ok(&st)) st = parity_open_causal_flow(ctx, &sd, noise, &f);
    if (!cv_is_ok(&st)) {
        parity_fail(ctx, "flow_load", st.message);
    } else {
        flow_vector_field vf = causal_flow_field(f);
        int M = causal_flow_cfg(f)->output_size;
        parity_check_estimator(ctx, &vf, M, false, "est_out");
        parity_check_estimator(ctx, &vf, M, true, "est_out_stream");
        check_inference(ctx, f, false, "flow_mel", "flow_mu");
        check_inference(ctx, f, true, "flow_stream_mel", "flow_stream_mu");
    }
    causal_flow_free(f);
    nn_noise_free(noise);
    pt_free(&sd);
}

const parity_group parity_group_flow_causal = {"flow", CV_FAMILY_V2 | CV_FAMILY_V3, run_flow};
