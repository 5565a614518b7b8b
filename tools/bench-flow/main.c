/* cosyvoice-bench-flow: speed of the flow (speech tokens -> mel) at the full
 * CosyVoice-300M size with random weights.
 *
 * Reports the real-time factor (compute time / audio duration), the
 * estimator's achieved GFLOP/s, and for comparison nn_gemm's peak measured
 * here on large square matrices with the same thread count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/timeutil.h"
#include "model/v1/flow.h"
#include "random/flow_random.h"
#include "nn/nn.h"
#include "nn/backend.h"
#include "nn/weights.h"

/* CPU seconds (all threads, user + system) used by the process so far:
 * with other jobs on the machine this moves less than wall time. */
static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

/* Best of a few 1024^3 products: what nn_gemm can sustain here. */
static double sgemm_peak(void) {
    int n = 1024;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
          *c = malloc(sizeof(float) * n * n);
    for (int i = 0; i < n * n; i++) a[i] = b[i] = (float)(i % 7) * 0.1f;
    double best = 1e9;
    for (int r = 0; r < 6; r++) {
        double t0 = cv_now();
        nn_gemm(false, false, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double t = cv_now() - t0;
        if (t < best) best = t;
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * n * n * n / best / 1e9;
}

/* CosyVoice-300M's flow hyper-parameters (its cosyvoice.yaml). */
static flow_config full_config(void) {
    flow_config c = {.input_size = 512, .output_size = 80, .spk_embed_dim = 192,
                     .vocab_size = 4096, .input_frame_rate = 50, .lr_n_convs = 4, .lr_groups = 1,
                     .cfm = {.n_timesteps = 10, .cfg_rate = 0.7f, .cosine = 1},
                     .est = {.in_channels = 320, .out_channels = 80, .n_stages = 2,
                             .channels = {256, 256}, .n_blocks = 4, .num_mid_blocks = 12,
                             .num_heads = 8, .head_dim = 64, .ff_mult = 4, .groups = 8}};
    c.encoder = rel_encoder_config_default(REL_ENC_CONFORMER);
    c.encoder.input_size = 512;
    c.encoder.output_size = 512;
    c.encoder.attention_heads = 8;
    c.encoder.linear_units = 2048;
    c.encoder.num_blocks = 6;
    c.encoder.input_layer = REL_ENC_INPUT_LINEAR;
    return c;
}

int main(int argc, char **argv) {
    int threads = 2, tokens = 100, reps = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--tokens")) tokens = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--precision") &&
                 (!strcmp(argv[i + 1], "fp32") || !strcmp(argv[i + 1], "bf16"))) {
            if (!nn_set_precision(strcmp(argv[i + 1], "bf16") ? NN_FP32 : NN_BF16)) {
                fprintf(stderr, "bench-flow: this CPU has no bf16 dot products\n");
                return 1;
            }
        } else {
            fprintf(stderr, "usage: %s [--threads N] [--tokens N] [--reps N] [--precision fp32|bf16]\n",
                    argv[0]);
            return 2;
        }
    }
    if (threads < 1 || tokens < 1 || reps < 1) return 2;
    nn_set_threads(threads);
    nn_backend_print(stdout, threads);
    printf("precision: %s\n", nn_precision_name(nn_get_precision()));
    double peak = sgemm_peak();

    flow_config cfg = full_config();
    pt_dict sd = {0};
    rw_rng rng = rw_rng_seed(7);
    cv_status st = random_flow_weights(&sd, &cfg, &rng);
    flow_model *m = NULL;
    if (cv_is_ok(&st)) st = flow_model_load(&sd, &cfg, &m);
    if (!cv_is_ok(&st)) {
        fprintf(stderr, "bench-flow: %s\n", st.message);
        pt_free(&sd);
        return 1;
    }
    int32_t *tok = malloc(sizeof(int32_t) * tokens);
    for (int i = 0; i < tokens; i++) tok[i] = (int32_t)((i * 2654435761u) % 4096);
    float emb[192];
    for (int i = 0; i < 192; i++) emb[i] = (float)((i * 37) % 11) - 5.0f;
    flow_input in = {.tokens = tok, .n_tokens = tokens, .embedding = emb};
    nn_noise *noise = nn_noise_gaussian_new(1);

    /* whole flow (first run warms buffers up) */
    double best = 1e9, best_cpu = 1e9;
    int frames = 0;
    for (int r = 0; r <= reps; r++) {
        flow_output out;
        double t0 = cv_now(), c0 = cpu_s();
        st = flow_inference(m, &in, noise, &out);
        double t = cv_now() - t0, c = cpu_s() - c0;
        if (!cv_is_ok(&st)) {
            fprintf(stderr, "bench-flow: %s\n", st.message);
            break;
        }
        frames = out.mel_frames;
        flow_output_free(&out);
        if (r > 0 && t < best) best = t;
        if (r > 0 && c < best_cpu) best_cpu = c;
    }
    /* estimator alone: one batch-of-two call as in the solver */
    int T = frames;
    size_t n = (size_t)80 * 2 * T;
    float *x = calloc(n, sizeof(float)), *o = calloc(n, sizeof(float));
    float spk[160] = {0}, tt[2] = {0.5f, 0.5f};
    nn_noise_normal(noise, x, n, 0.0);
    flow_estimator *est = flow_model_estimator(m);
    double est_best = 1e9;
    for (int r = 0; r <= reps && cv_is_ok(&st); r++) {
        double t0 = cv_now();
        st = flow_estimator_forward(est, 2, T, x, x, tt, spk, x, NULL, o);
        double t = cv_now() - t0;
        if (r > 0 && t < est_best) est_best = t;
    }
    double est_flop = flow_estimator_flops(&cfg.est, 2, T);
    double audio = frames * 256.0 / 22050.0;
    if (cv_is_ok(&st)) {
        printf("threads %d, %d tokens -> %d mel frames (%.3f s audio)\n", threads, tokens, frames,
               audio);
        printf("sgemm peak (1024^3)      : %.1f GFLOP/s\n", peak);
        printf("flow inference           : %.3f s  RTF %.2f  (CPU time %.3f s, all threads)\n",
               best, best / audio, best_cpu);
        printf("estimator call (B=2)     : %.1f ms, %.2f GFLOP, %.1f GFLOP/s (%.0f%% of peak)\n",
               est_best * 1e3, est_flop / 1e9, est_flop / est_best / 1e9,
               100.0 * est_flop / est_best / 1e9 / peak);
        printf("estimator x%d steps      : %.3f s (%.0f%% of the flow)\n", cfg.cfm.n_timesteps,
               est_best * cfg.cfm.n_timesteps, 100.0 * est_best * cfg.cfm.n_timesteps / best);
        printf("estimator FLOP / CPU time: %.1f GFLOP per CPU-second (10 steps / whole flow)\n",
               est_flop * cfg.cfm.n_timesteps / best_cpu / 1e9);
        printf("arithmetic limit at peak : RTF %.2f\n",
               est_flop * cfg.cfm.n_timesteps / (peak * 1e9) / audio);
    }
    free(x);
    free(o);
    free(tok);
    nn_noise_free(noise);
    flow_model_free(m);
    pt_free(&sd);
    return cv_is_ok(&st) ? 0 : 1;
}
