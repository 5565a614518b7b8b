/* Streaming token-to-audio checks: the golden stream_tokens go straight
 * into a token queue (no LM) and through the token-to-audio loop with
 * stream on (stream_*), off (nonstream_*) and on with a flow prompt
 * (stream_prompt_*). Chunk lengths must be identical and the concatenated
 * audio within tolerance. Streaming parameters are the reference's, derived
 * from the yaml's frame rates, so any golden directory made the same way
 * works. Noise: det_noise (flow z salt 1.25, SineGen salt 0.5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/v1/flow_pool.h"
#include "model/blocks/hift.h"
#include "model/io/pt_load.h"
#include "model/v1/t2w_stream.h"
#include "nn/nn.h"
#include "parity.h"

/* Seconds of a single vocoder call compared at the audio tolerance, and the
 * bound for the rest of it (phase drift, see run_case). */
#define DRIFT_HORIZON_S 4
#define DRIFT_TOLERANCE 5e-3

typedef struct collected {
    float *pcm;
    size_t n, cap;
    int lengths[256];
    int chunks;
} collected;

static bool collect(void *user, const float *pcm, int n)
{
    collected *c = user;
    if (c->n + (size_t)n > c->cap) {
        size_t cap = (c->n + (size_t)n) * 2;
        float *p = realloc(c->pcm, cap * sizeof(float));
        if (!p) return false;
        c->pcm = p;
        c->cap = cap;
    }
    memcpy(c->pcm + c->n, pcm, (size_t)n * sizeof(float));
    c->n += (size_t)n;
    if (c->chunks < 256) c->lengths[c->chunks] = n;
    c->chunks++;
    return true;
}

static int32_t *as_tokens(const npy_array *a)
{
    int32_t *t = malloc((a->count ? a->count : 1) * sizeof(int32_t));
    for (size_t i = 0; t && i < a->count; i++)
        t[i] = a->idata ? (int32_t)a->idata[i] : (int32_t)a->data[i];
    return t;
}

typedef struct models {
    flow_pool *flow;
    hift_model *hift;
    t2w_params params;
} models;

/* One case: `prefix` = "stream", "nonstream" or "stream_prompt". */
static void run_case(parity_ctx *ctx, const models *m, const char *prefix, bool stream,
                     const int32_t *tokens, int n_tokens, const float *emb,
                     const char *prompt_tok_name, const char *prompt_feat_name)
{
    char lname[64], sname[64];
    snprintf(lname, sizeof lname, "%s_lengths", prefix);
    snprintf(sname, sizeof sname, "%s_speech", prefix);
    if (!parity_has(ctx, lname) || !parity_has(ctx, sname)) {
        parity_skip(ctx, sname, "no golden data");
        return;
    }
    npy_array lens = {0}, ref = {0}, ptok = {0}, pfeat = {0};
    int32_t *pt = NULL;
    nn_noise *noise = nn_noise_det_new();
    token_queue q;
    bool q_ok = false;
    t2w_state *s = NULL;
    collected got = {0};
    if (!parity_load(ctx, lname, &lens) || !parity_load(ctx, sname, &ref)) goto out;
    t2w_prompt prompt = {.embedding = emb};
    if (prompt_tok_name) {
        if (!parity_load(ctx, prompt_tok_name, &ptok) || !parity_load(ctx, prompt_feat_name, &pfeat))
            goto out;
        pt = as_tokens(&ptok);
        prompt.tokens = pt;
        prompt.n_tokens = (int)ptok.count;
        prompt.feat = pfeat.data;
        prompt.n_frames = pfeat.ndim == 3 ? (int)pfeat.shape[1] : 0;
    }
    cv_status st = t2w_new(m->flow, m->hift, &m->params, &prompt, noise, &s);
    if (cv_is_ok(&st)) st = token_queue_init(&q);
    if (!cv_is_ok(&st)) {
        parity_fail(ctx, sname, st.message);
        goto out;
    }
    q_ok = true;
    for (int i = 0; i < n_tokens; i++) token_queue_push(&q, tokens[i]);
    token_queue_finish(&q, cv_ok());
    st = t2w_stream_run(s, &q, stream, 1.0f, collect, &got, NULL);
    if (!cv_is_ok(&st)) {
        parity_fail(ctx, sname, st.message);
        goto out;
    }
    bool same = got.chunks == (int)lens.count;
    for (int i = 0; same && i < got.chunks && i < 256; i++)
        same = got.lengths[i] == (int)(lens.idata ? lens.idata[i] : lens.data[i]);
    printf("%-24s chunks:", lname);
    for (int i = 0; i < got.chunks && i < 256; i++) printf(" %d", got.lengths[i]);
    printf("  (golden:");
    for (size_t i = 0; i < lens.count; i++)
        printf(" %lld", (long long)(lens.idata ? lens.idata[i] : (int64_t)lens.data[i]));
    printf(")\n");
    if (!same)
        parity_fail(ctx, lname, "chunk lengths differ from the golden ones");
    else
        parity_report(ctx, lname, 0.0);
    if (got.n != ref.count) {
        parity_fail(ctx, sname, "total length differs from the golden one");
        goto out;
    }
    double err = parity_max_abs(got.pcm, ref.data, ref.count);
    size_t horizon = (size_t)DRIFT_HORIZON_S * m->params.sample_rate;
    if (got.chunks == 1 && ref.count > horizon) {
        /* One vocoder call over a long utterance: the sine source's phase is
         * a float-rounded running sum of f0 over every sample, so f0 that
         * differs from the reference's by a few float32 ulps (the
         * reference's own rounding: an exact, double-precision f0 predictor
         * differs from it just as much) moves the audio by up to ~2e-3 after
         * 6 s. The first seconds are held to the audio tolerance, the whole
         * length to DRIFT_TOLERANCE; see docs/neural_engine.md. */
        char head[96];
        snprintf(head, sizeof head, "%s[0:%ds]", sname, DRIFT_HORIZON_S);
        parity_report(ctx, head, parity_max_abs(got.pcm, ref.data, horizon));
        parity_report_tol(ctx, sname, err, DRIFT_TOLERANCE);
    } else {
        parity_report(ctx, sname, err);
    }
out:
    if (q_ok) token_queue_destroy(&q);
    t2w_free(s);
    nn_noise_free(noise);
    free(got.pcm);
    free(pt);
    npy_free(&lens), npy_free(&ref), npy_free(&ptok), npy_free(&pfeat);
}

static void run_stream(parity_ctx *ctx)
{
    if (!parity_has(ctx, "stream_tokens") || !parity_has(ctx, "stream_embedding")) {
        parity_skip(ctx, "stream", "no stream_*.npy in the golden directory");
        return;
    }
    char path[4096];
    flow_config fcfg;
    hift_config hcfg;
    pt_dict fw = {0}, hw = {0};
    models m = {0};
    npy_array tok = {0}, emb = {0};
    int32_t *tokens = NULL;
    cv_status st = flow_config_from_yaml(ctx->yaml, &fcfg);
    if (cv_is_ok(&st)) st = hift_config_from_yaml(ctx->yaml, &hcfg);
    if (cv_is_ok(&st)) st = pt_load(parity_path(ctx, "flow.pt", path, sizeof path), &fw);
    if (cv_is_ok(&st)) st = pt_load(parity_path(ctx, "hift.pt", path, sizeof path), &hw);
    if (cv_is_ok(&st)) st = flow_pool_new(&fw, &fcfg, &m.flow);
    if (cv_is_ok(&st)) m.hift = hift_load(&hcfg, &hw, &st);
    if (!cv_is_ok(&st)) {
        parity_fail(ctx, "stream_load", st.message);
        goto out;
    }
    m.params = t2w_params_default(fcfg.input_frame_rate, hcfg.sampling_rate,
                                  hift_samples_per_frame(m.hift));
    if (!parity_load(ctx, "stream_tokens", &tok) || !parity_load(ctx, "stream_embedding", &emb))
        goto out;
    tokens = as_tokens(&tok);
    run_case(ctx, &m, "stream", true, tokens, (int)tok.count, emb.data, NULL, NULL);
    run_case(ctx, &m, "nonstream", false, tokens, (int)tok.count, emb.data, NULL, NULL);
    if (parity_has(ctx, "stream_prompt_token") && parity_has(ctx, "stream_prompt_feat"))
        run_case(ctx, &m, "stream_prompt", true, tokens, (int)tok.count, emb.data,
                 "stream_prompt_token", "stream_prompt_feat");
    else
        parity_skip(ctx, "stream_prompt_speech", "no stream_prompt_token/feat");
out:
    free(tokens);
    npy_free(&tok), npy_free(&emb);
    hift_free(m.hift);
    flow_pool_free(m.flow);
    pt_free(&fw);
    pt_free(&hw);
}

const parity_group parity_group_stream = {"stream", CV_FAMILY_V1, run_stream};
