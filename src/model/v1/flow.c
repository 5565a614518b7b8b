/* MaskedDiffWithXvec inference; see flow.h. */
#include "model/v1/flow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/v1/flow_weights.h"
#include "nn/matmul.h"
#include "model/v1/length_regulator.h"

struct flow_model {
    flow_config cfg;
    const float *embed;            /* [vocab][input_size] */
    const float *spk_w, *spk_b;    /* [output][spk_dim] */
    const float *proj_w, *proj_b;  /* [output][enc_out] */
    rel_encoder *enc;
    length_regulator lr;
    flow_estimator *est;
    const pt_dict *registered; /* weights registered for bf16 (pt_weights_register) */
};

cv_status flow_model_load(const pt_dict *sd, const flow_config *cfg, flow_model **out) {
    *out = NULL;
    flow_model *m = calloc(1, sizeof *m);
    if (!m) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    m->cfg = *cfg;
    int D = cfg->output_size;
    cv_status st = cv_ok();
    m->embed = flow_w(sd, "", "input_embedding.weight", cfg->vocab_size, cfg->input_size, 0);
    m->spk_w = flow_w(sd, "", "spk_embed_affine_layer.weight", D, cfg->spk_embed_dim, 0);
    m->spk_b = flow_w(sd, "", "spk_embed_affine_layer.bias", D, 0, 0);
    m->proj_w = flow_w(sd, "", "encoder_proj.weight", D, cfg->encoder.output_size, 0);
    m->proj_b = flow_w(sd, "", "encoder_proj.bias", D, 0, 0);
    if (!m->embed || !m->spk_w || !m->spk_b || !m->proj_w || !m->proj_b)
        st = cv_error(CV_INVALID_ARGUMENT, "flow.pt: missing or mis-shaped weights");
    if (cv_is_ok(&st) && (cfg->encoder.input_size != cfg->input_size || cfg->est.out_channels != D))
        st = cv_error(CV_INVALID_ARGUMENT, "flow config: inconsistent sizes");
    if (cv_is_ok(&st)) st = rel_encoder_load(sd, "encoder.", &cfg->encoder, &m->enc);
    if (cv_is_ok(&st))
        st = length_regulator_init(&m->lr, D, cfg->lr_n_convs, cfg->lr_groups, sd,
                                   "length_regulator.");
    if (cv_is_ok(&st)) st = flow_estimator_create(&cfg->est, sd, "decoder.estimator.", &m->est);
    if (cv_is_ok(&st)) {
        if (pt_weights_register(sd)) m->registered = sd;
        else st = cv_error(CV_RESOURCE_EXHAUSTED, "flow: out of memory for bf16 weights");
    }
    if (!cv_is_ok(&st)) {
        flow_model_free(m);
        return st;
    }
    *out = m;
    return st;
}

void flow_model_free(flow_model *m) {
    if (!m) return;
    if (m->registered) pt_weights_unregister(m->registered);
    rel_encoder_free(m->enc);
    length_regulator_free(&m->lr);
    flow_estimator_free(m->est);
    free(m);
}

const flow_config *flow_model_cfg(const flow_model *m) { return &m->cfg; }
flow_estimator *flow_model_estimator(flow_model *m) { return m->est; }

int flow_mel_frames(const flow_config *cfg, int n_tokens) {
    return lr_mel_frames(n_tokens, cfg->input_frame_rate);
}

void flow_output_free(flow_output *out) {
    free(out->mel);
    free(out->cache);
    memset(out, 0, sizeof *out);
}

/* spks = Linear(x / max(||x||, 1e-12)) */
static void speaker_projection(const flow_model *m, const float *emb, float *spks) {
    int E = m->cfg.spk_embed_dim, D = m->cfg.output_size;
    double ss = 0.0;
    for (int i = 0; i < E; i++) ss += (double)emb[i] * emb[i];
    float nrm = (float)sqrt(ss);
    float inv = 1.0f / (nrm > 1e-12f ? nrm : 1e-12f);
    memcpy(spks, m->spk_b, (size_t)D * sizeof(float));
    nn_gemm(false, false, D, 1, E, inv, m->spk_w, E, emb, 1, 1.0f, spks, 1);
}

static cv_status check_input(const flow_model *m, const flow_input *in) {
    const flow_config *c = &m->cfg;
    if (in->n_tokens < 1 || !in->tokens || !in->embedding)
        return cv_error(CV_INVALID_ARGUMENT, "flow: no speech tokens");
    if (in->n_prompt_tokens < 0 || in->n_prompt_frames < 0 ||
        (in->n_prompt_tokens > 0 && (!in->prompt_tokens || in->n_prompt_frames < 1)) ||
        (in->n_prompt_frames > 0 && !in->prompt_feat))
        return cv_error(CV_INVALID_ARGUMENT, "flow: inconsistent prompt");
    for (int i = 0; i < in->n_tokens + in->n_prompt_tokens; i++) {
        int32_t t = i < in->n_prompt_tokens ? in->prompt_tokens[i]
                                            : in->tokens[i - in->n_prompt_tokens];
        if (t >= c->vocab_size)
            return cv_error(CV_INVALID_ARGUMENT, "flow: speech token %d out of range", (int)t);
    }
    if (flow_mel_frames(c, in->n_tokens) < 1)
        return cv_error(CV_INVALID_ARGUMENT, "flow: too few speech tokens");
    return cv_ok();
}

cv_status flow_inference(flow_model *m, const flow_input *in, nn_noise *noise,
                         flow_output *out) {
    memset(out, 0, sizeof *out);
    const flow_config *c = &m->cfg;
    cv_status st = check_input(m, in);
    if (!cv_is_ok(&st)) return st;
    int D = c->output_size, E = c->input_size, H = c->encoder.output_size;
    int n1 = in->n_prompt_tokens, L = n1 + in->n_tokens;
    int mel1 = in->n_prompt_frames, mel2 = flow_mel_frames(c, in->n_tokens), T = mel1 + mel2;
    if (in->cache_frames < 0 || in->cache_frames > T || (in->cache_frames > 0 && !in->cache))
        return cv_error(CV_INVALID_ARGUMENT, "flow: bad cache of %d frames", in->cache_frames);

    float *spks = malloc((size_t)D * sizeof(float));
    float *emb = malloc((size_t)L * E * sizeof(float));
    float *enc = malloc((size_t)L * H * sizeof(float));
    float *h = malloc((size_t)L * D * sizeof(float));
    float *mu = malloc((size_t)D * T * sizeof(float));
    float *cond = calloc((size_t)D * T, sizeof(float));
    float *x = malloc((size_t)D * T * sizeof(float));
    if (!spks || !emb || !enc || !h || !mu || !cond || !x) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    speaker_projection(m, in->embedding, spks);
    /* token embedding (negative ids clamp to 0, as the reference does) */
    for (int i = 0; i < L; i++) {
        int32_t t = i < n1 ? in->prompt_tokens[i] : in->tokens[i - n1];
        if (t < 0) t = 0;
        memcpy(emb + (size_t)i * E, m->embed + (size_t)t * E, (size_t)E * sizeof(float));
    }
    st = rel_encoder_forward(m->enc, emb, L, enc);
    if (!cv_is_ok(&st)) goto done;
    /* encoder_proj: h[L][D] = enc[L][H] W^T + b */
    for (int i = 0; i < L; i++) memcpy(h + (size_t)i * D, m->proj_b, (size_t)D * sizeof(float));
    nn_gemm(false, true, L, D, H, 1.0f, enc, H, m->proj_w, H, 1.0f, h, D);
    st = length_regulator_infer(&m->lr, h, n1, in->n_tokens, mel1, mel2, c->input_frame_rate, mu);
    if (!cv_is_ok(&st)) goto done;
    for (int ch = 0; ch < D; ch++)
        for (int t = 0; t < mel1; t++) cond[(size_t)ch * T + t] = in->prompt_feat[(size_t)t * D + ch];

    nn_noise_normal(noise, x, (size_t)D * T, NN_NOISE_SALT_FLOW);
    st = flow_cfm_cache(x, mu, D, T, in->cache, in->cache_frames, mel1, &out->cache,
                        &out->cache_frames);
    if (!cv_is_ok(&st)) goto done;
    st = flow_cfm_solve(m->est, &c->cfm, D, T, mu, NULL, spks, cond, in->stop, x);
    if (!cv_is_ok(&st)) goto done;
    out->mel = malloc((size_t)D * mel2 * sizeof(float));
    if (!out->mel) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    for (int ch = 0; ch < D; ch++)
        memcpy(out->mel + (size_t)ch * mel2, x + (size_t)ch * T + mel1, (size_t)mel2 * sizeof(float));
    out->mel_frames = mel2;
done:
    if (!cv_is_ok(&st)) flow_output_free(out);
    free(spks);
    free(emb);
    free(enc);
    free(h);
    free(mu);
    free(cond);
    free(x);
    return st;
}
