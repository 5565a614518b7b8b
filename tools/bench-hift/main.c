/* cosyvoice-bench-hift: real-time factor of the HiFT vocoder with random
 * weights at a chosen size. The architecture comes from a cosyvoice.yaml;
 * --base-channels / --cond-channels override the widths (CosyVoice-300M:
 * 512 / 512, everything else as in the tiny golden model). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/blocks/hift.h"
#include "random/hift_random.h"
#include "model/io/yaml_config.h"
#include "nn/conv_fft.h"
#include "nn/nn.h"
#include "nn/backend.h"
#include "nn/weights.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU time of all threads: with a busy machine, wall time overstates the
 * cost; both are printed. */
static double cpu_now(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

int main(int argc, char **argv)
{
    const char *yaml_path = "tests/data/golden/cosyvoice-v1-tiny/cosyvoice.yaml";
    int base = 512, cond = 512, threads = 2, repeat = 3;
    double seconds = 10.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) goto usage;
        if (!strcmp(a, "--yaml")) yaml_path = v;
        else if (!strcmp(a, "--base-channels")) base = atoi(v);
        else if (!strcmp(a, "--cond-channels")) cond = atoi(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--repeat")) repeat = atoi(v);
        else if (!strcmp(a, "--fft")) nn_conv1d_set_fft(atoi(v) != 0);
        else if (!strcmp(a, "--precision")) {
            if (strcmp(v, "fp32") && strcmp(v, "bf16")) goto usage;
            if (!nn_set_precision(strcmp(v, "bf16") ? NN_FP32 : NN_BF16)) {
                fprintf(stderr, "bench-hift: this CPU has no bf16 dot products\n");
                return 1;
            }
        }
        else goto usage;
        i++;
    }
    yaml_config *y = NULL;
    cv_status st = yaml_config_load(yaml_path, &y);
    hift_config cfg;
    if (cv_is_ok(&st)) st = hift_config_from_yaml(y, &cfg);
    yaml_config_free(y);
    if (!cv_is_ok(&st)) {
        fprintf(stderr, "bench-hift: %s\n", st.message);
        return 1;
    }
    cfg.base_channels = base;
    cfg.f0_cond_channels = cond;
    hift_model *m = hift_new_random(&cfg, 1, &st);
    if (!m) {
        fprintf(stderr, "bench-hift: %s\n", st.message);
        return 1;
    }
    nn_set_threads(threads);
    nn_backend_print(stdout, threads);
    printf("precision: %s\n", nn_precision_name(nn_get_precision()));
    const int spf = hift_samples_per_frame(m);
    const int T = (int)(seconds * cfg.sampling_rate / spf + 0.5), L = T * spf;
    const double audio_s = (double)L / cfg.sampling_rate;
    float *mel = malloc(sizeof(float) * cfg.in_channels * T), *f0 = malloc(sizeof(float) * T);
    float *src = malloc(sizeof(float) * L), *speech = malloc(sizeof(float) * L);
    uint64_t r = 12345;
    for (int i = 0; i < cfg.in_channels * T; i++) { /* log-mel-like values in [-10, 2) */
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        mel[i] = -10.0f + 12.0f * (float)((double)(r >> 11) / 9007199254740992.0);
    }
    nn_noise *noise = nn_noise_gaussian_new(7);
    printf("hift base_channels=%d cond_channels=%d threads=%d audio=%.2fs (%d frames)\n", base,
           cond, threads, audio_s, T);
    double best = 1e30;
    for (int it = 0; it < repeat && cv_is_ok(&st); it++) {
        double c0 = cpu_now(), t0 = now();
        st = hift_f0(m, mel, T, f0);
        double t1 = now();
        if (cv_is_ok(&st)) st = hift_source(m, f0, T, noise, src);
        double t2 = now();
        if (cv_is_ok(&st)) st = hift_decode(m, mel, T, src, speech);
        double t3 = now(), c3 = cpu_now();
        printf("run %d: f0 %.3fs  source %.3fs  decode %.3fs  total %.3fs  RTF %.3f"
               "  (cpu %.3fs)\n",
               it, t1 - t0, t2 - t1, t3 - t2, t3 - t0, (t3 - t0) / audio_s, c3 - c0);
        if (t3 - t0 < best) best = t3 - t0;
    }
    if (cv_is_ok(&st)) printf("best RTF %.3f\n", best / audio_s);
    else fprintf(stderr, "bench-hift: %s\n", st.message);
    free(mel), free(f0), free(src), free(speech);
    nn_noise_free(noise);
    hift_free(m);
    return cv_is_ok(&st) ? 0 : 1;
usage:
    fprintf(stderr, "usage: cosyvoice-bench-hift [--yaml cosyvoice.yaml] [--base-channels N]\n"
                    "  [--cond-channels N] [--threads N] [--seconds S] [--repeat N]\n"
                    "  [--fft 0|1]  (frequency-domain convolutions, default 1) [--precision fp32|bf16]\n");
    return 2;
}
