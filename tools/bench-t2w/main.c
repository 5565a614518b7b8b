/* cosyvoice-bench-t2w: speed of CosyVoice2's or CosyVoice3's token-to-audio
 * half at the full model sizes with random weights (the architecture is
 * the family's tiny golden yaml with every width and depth set to the
 * official model's):
 *
 *   CosyVoice2-0.5B      flow encoder 512 wide, 6 + 4 conformer blocks, 8 heads,
 *                        feed-forward 2048; causal U-Net decoder 256 channels,
 *                        4 transformer blocks per stage, 12 mid blocks, 8 heads
 *                        of 64; HiFT 512 base channels, f0 predictor 512
 *   Fun-CosyVoice3-0.5B  DiT dim 1024, depth 22, 16 heads of 64, feed-forward
 *                        x2, pre-look-ahead 1024 channels; causal HiFT 512 / 512
 *
 * It reports the flow's real-time factor without streaming (--seconds of
 * audio), the vocoder's, and a streamed utterance of --stream-seconds with
 * all its tokens given at once: time to the first chunk's audio (28 tokens
 * without a prompt), the flow and vocoder work summed over its chunks
 * against the same utterance without streaming (both families re-run the
 * flow over every token so far at each chunk, CosyVoice3 the vocoder too),
 * and the peak memory. Wall and CPU time; on a shared machine the CPU time
 * moves less. --precision bf16 runs the weight products in bf16 (CPUs with
 * native bf16 dot products). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/timeutil.h"
#include "model/blocks/causal_t2w.h"
#include "model/blocks/hift.h"
#include "model/io/yaml_config.h"
#include "model/v2/flow.h"
#include "model/v2/token2wav.h"
#include "model/v3/flow.h"
#include "model/v3/token2wav.h"
#include "nn/backend.h"
#include "nn/nn.h"
#include "nn/weights.h"
#include "random/flow_random.h"
#include "random/hift_random.h"

#define TOKEN_RATE 25 /* tokens per second */
#define MEL_RATE 50

typedef struct bench {
    int family; /* 2 or 3 */
    flow2_config f2;
    flow3_config f3;
    hift_config hc;
    pt_dict sd;
    instance_pool *flows;
    hift_model *hift;
    nn_noise *noise;
} bench;

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static void full_sizes(bench *b)
{
    if (b->family == 2) {
        upsample_encoder_config *e = &b->f2.encoder;
        b->f2.flow.input_size = 512;
        e->blocks.input_size = e->blocks.output_size = 512;
        e->blocks.attention_heads = 8;
        e->blocks.linear_units = 2048;
        e->blocks.num_blocks = 6;
        e->up_blocks = e->blocks;
        e->up_blocks.embed_name = "up_embed";
        e->up_blocks.layers_name = "up_encoders";
        e->up_blocks.no_final_norm = false;
        e->up_blocks.num_blocks = 4;
        flow_est_config *c = &b->f2.est;
        c->n_stages = 1;
        c->channels[0] = 256;
        c->n_blocks = 4;
        c->num_mid_blocks = 12;
        c->num_heads = 8;
        c->head_dim = 64;
    } else {
        dit_config *d = &b->f3.dit;
        d->dim = 1024;
        d->depth = 22;
        d->heads = 16;
        d->dim_head = 64;
        d->ff_mult = 2;
        b->f3.pre_lookahead_channels = 1024;
    }
    b->hc.base_channels = 512;
    b->hc.f0_cond_channels = 512;
}

static cv_status setup(bench *b, const char *src_dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/golden/cosyvoice%d-tiny/cosyvoice%d.yaml", src_dir,
             b->family, b->family);
    yaml_config *y = NULL;
    cv_status st = yaml_config_load(path, &y);
    if (cv_is_ok(&st))
        st = b->family == 2 ? flow2_config_from_yaml(y, &b->f2) : flow3_config_from_yaml(y, &b->f3);
    if (cv_is_ok(&st)) st = hift_config_from_yaml(y, &b->hc);
    yaml_config_free(y);
    if (!cv_is_ok(&st)) return st;
    full_sizes(b);
    rw_rng rng = rw_rng_seed(7);
    st = b->family == 2 ? random_flow2_weights(&b->sd, &b->f2, &rng)
                        : random_flow3_weights(&b->sd, &b->f3, &rng);
    b->noise = nn_noise_gaussian_new(1);
    if (cv_is_ok(&st))
        st = b->family == 2 ? flow2_pool_new(&b->sd, &b->f2, b->noise, &b->flows)
                            : flow3_pool_new(&b->sd, &b->f3, b->noise, &b->flows);
    if (cv_is_ok(&st)) b->hift = hift_new_random(&b->hc, 3, &st);
    return st;
}

static void fill_tokens(int32_t *t, int n)
{
    for (int i = 0; i < n; i++) t[i] = (int32_t)((i * 2654435761u) % 6561);
}

/* One non-streaming flow call on n tokens: best wall (and its CPU) time. */
static cv_status time_flow(bench *b, int n, int reps, double *wall, double *cpu)
{
    int32_t *tok = malloc(sizeof(int32_t) * n);
    float emb[192];
    for (int i = 0; i < 192; i++) emb[i] = (float)((i * 37) % 11) - 5.0f;
    fill_tokens(tok, n);
    cv_status st;
    causal_flow *f = instance_pool_acquire(b->flows, &st);
    *wall = *cpu = 1e30;
    for (int r = 0; f && r < reps && cv_is_ok(&st); r++) {
        causal_flow_input in = {.tokens = tok, .n_tokens = n, .embedding = emb, .finalize = true};
        causal_flow_output o;
        double t0 = cv_now(), c0 = t2w_process_cpu();
        st = causal_flow_infer(f, &in, &o);
        double t = cv_now() - t0, c = t2w_process_cpu() - c0;
        causal_flow_output_free(&o);
        if (t < *wall) *wall = t, *cpu = c;
    }
    instance_pool_release(b->flows, f);
    free(tok);
    return st;
}

static cv_status time_vocoder(bench *b, int frames, int reps, double *wall, double *cpu)
{
    const int C = b->hc.in_channels, L = hift_infer_samples(b->hift, frames, true);
    float *mel = malloc(sizeof(float) * C * frames), *wav = malloc(sizeof(float) * L);
    uint64_t r = 12345;
    for (int i = 0; i < C * frames; i++) { /* log-mel-like values in [-10, 2) */
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        mel[i] = -10.0f + 12.0f * (float)((double)(r >> 11) / 9007199254740992.0);
    }
    cv_status st = cv_ok();
    *wall = *cpu = 1e30;
    for (int k = 0; k < reps && cv_is_ok(&st); k++) {
        double t0 = cv_now(), c0 = t2w_process_cpu();
        st = hift_infer_ex(b->hift, mel, frames, true, NULL, 0, b->noise, wav, NULL);
        double t = cv_now() - t0, c = t2w_process_cpu() - c0;
        if (t < *wall) *wall = t, *cpu = c;
    }
    free(mel), free(wav);
    return st;
}

static bool discard(void *user, const float *pcm, int n)
{
    (void)pcm;
    *(long *)user += n;
    return true;
}

/* A streamed (or not) call with all n tokens given; stats filled. */
static cv_status run_call(bench *b, int n, bool stream, t2w_stream_stats *stats, double *wall)
{
    int32_t *tok = malloc(sizeof(int32_t) * n);
    fill_tokens(tok, n);
    float emb[192];
    for (int i = 0; i < 192; i++) emb[i] = (float)((i * 37) % 11) - 5.0f;
    t2w_prompt prompt = {.embedding = emb};
    causal_t2w_params p = causal_t2w_params_default();
    causal_t2w *s = NULL;
    token_queue q;
    cv_status st = b->family == 2 ? t2w2_new(b->flows, b->hift, &p, &prompt, b->noise, &s)
                                  : t2w3_new(b->flows, b->hift, &p, &prompt, b->noise, &s);
    if (cv_is_ok(&st)) st = token_queue_init(&q);
    if (cv_is_ok(&st)) {
        for (int i = 0; i < n; i++) token_queue_push(&q, tok[i]);
        token_queue_finish(&q, cv_ok());
        long samples = 0;
        double t0 = cv_now();
        st = causal_t2w_run(s, &q, stream, 1.0f, discard, &samples, stats);
        *wall = cv_now() - t0;
        stats->t_first_chunk -= t0;
        token_queue_destroy(&q);
    }
    causal_t2w_free(s);
    free(tok);
    return st;
}

int main(int argc, char **argv)
{
    int threads = 2, reps = 2, flow = 1;
    double seconds = 4.0, stream_seconds = 20.0;
    bench b = {.family = 2};
    const char *src = getenv("CV_SOURCE_DIR") ? getenv("CV_SOURCE_DIR") : ".";
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--family")) b.family = !strcmp(v, "v3") ? 3 : !strcmp(v, "v2") ? 2 : 0;
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--stream-seconds")) stream_seconds = atof(v);
        else if (!strcmp(a, "--reps")) reps = atoi(v);
        else if (!strcmp(a, "--flow")) flow = atoi(v); /* 0: the vocoder alone */
        else if (!strcmp(a, "--precision")) {
            if (!nn_set_precision(strcmp(v, "bf16") ? NN_FP32 : NN_BF16)) {
                fprintf(stderr, "bench-t2w: this CPU has no bf16 dot products\n");
                return 2;
            }
        }
        else b.family = 0;
    }
    if (!b.family || threads < 1 || reps < 1 || seconds <= 0 || stream_seconds < 0) {
        fprintf(stderr, "usage: %s [--family v2|v3] [--threads N] [--seconds S] "
                        "[--stream-seconds S (0: skip)] [--reps N] [--precision fp32|bf16]\n"
                        "  [--flow 0 (vocoder only)]\n",
                argv[0]);
        return 2;
    }
    nn_set_threads(threads);
    cv_status st = setup(&b, src);
    if (!cv_is_ok(&st)) {
        fprintf(stderr, "bench-t2w: %s\n", st.message);
        return 1;
    }
    printf("%s token-to-audio, full size, random weights, %d threads, %s\n",
           b.family == 2 ? "CosyVoice2-0.5B" : "Fun-CosyVoice3-0.5B", threads,
           nn_precision_name(nn_get_precision()));
    nn_backend_print(stdout, threads);
    const int n = (int)(seconds * TOKEN_RATE + 0.5), frames = 2 * n;
    double fw = 0, fc = 0, vw, vc;
    if (cv_is_ok(&st) && flow) st = time_flow(&b, n, reps, &fw, &fc);
    if (cv_is_ok(&st)) st = time_vocoder(&b, frames, reps, &vw, &vc);
    double audio = (double)frames / MEL_RATE;
    if (cv_is_ok(&st) && flow)
        printf("flow, not streaming     : %d tokens (%.1f s): %.3f s, RTF %.3f (CPU %.3f s)\n", n,
               audio, fw, fw / audio, fc);
    if (cv_is_ok(&st))
        printf("vocoder                 : %.1f s of audio: %.3f s, RTF %.3f (CPU %.3f s)\n",
               audio, vw, vw / audio, vc);
    if (cv_is_ok(&st) && stream_seconds > 0 && flow) {
        const int ns = (int)(stream_seconds * TOKEN_RATE + 0.5);
        t2w_stream_stats ss = {0}, nss = {0};
        double w_stream, w_plain;
        st = run_call(&b, ns, true, &ss, &w_stream);
        if (cv_is_ok(&st)) st = run_call(&b, ns, false, &nss, &w_plain);
        if (cv_is_ok(&st)) {
            double a = 2.0 * ns / MEL_RATE;
            printf("streamed %.1f s utterance : %d chunks, %.3f s in all, RTF %.3f (CPU %.3f s)\n",
                   a, ss.chunks, w_stream, w_stream / a, ss.total.flow_cpu + ss.total.vocoder_cpu);
            printf("  first chunk (%d tokens): %.3f s to its audio (flow %.3f s, vocoder %.3f s; "
                   "CPU %.3f s)\n", 25 + 3, ss.t_first_chunk, ss.first.flow, ss.first.vocoder,
                   ss.first.flow_cpu + ss.first.vocoder_cpu);
            printf("  flow work over chunks  : %.3f s = %.2f x the non-streamed flow (%.3f s); "
                   "CPU %.3f s = %.2f x\n", ss.total.flow, ss.total.flow / nss.total.flow,
                   nss.total.flow, ss.total.flow_cpu, ss.total.flow_cpu / nss.total.flow_cpu);
            printf("  vocoder over chunks    : %.3f s = %.2f x the non-streamed vocoder (%.3f s); "
                   "CPU %.3f s = %.2f x\n", ss.total.vocoder, ss.total.vocoder / nss.total.vocoder,
                   nss.total.vocoder, ss.total.vocoder_cpu,
                   ss.total.vocoder_cpu / nss.total.vocoder_cpu);
            printf("  non-streamed call      : %.3f s, RTF %.3f (CPU %.3f s)\n", w_plain,
                   w_plain / a, nss.total.flow_cpu + nss.total.vocoder_cpu);
        }
    }
    printf("peak memory (RSS)       : %.0f MB\n", peak_rss_mb());
    if (!cv_is_ok(&st)) fprintf(stderr, "bench-t2w: %s\n", st.message);
    hift_free(b.hift);
    instance_pool_free(b.flows, free);
    nn_noise_free(b.noise);
    pt_free(&b.sd);
    return cv_is_ok(&st) ? 0 : 1;
}
