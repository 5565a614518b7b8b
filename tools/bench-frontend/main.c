/* cosyvoice-bench-frontend: time of the prompt front end per stage for a
 * synthetic prompt (default 10 s at 16 kHz): features (Whisper log-mel,
 * Kaldi fbank, 22050 Hz resampling and prompt mel), speech tokenizer,
 * speaker model. The tokenizer is a full-size random-weight graph
 * (tokenizer_graph.c: width 1280, 20 heads, 6 layers by default) written
 * once to a cache file; CAM++ is the full-size stand-in campplus.onnx.
 *
 *   cosyvoice-bench-frontend [--campplus F] [--tokenizer F] [--seconds S]
 *       [--threads N] [--runs N] [--width W --heads H --layers L] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audio/sinc_resample.h"
#include "model/frontend/frontend_feats.h"
#include "model/frontend/prompt_frontend.h"
#include "nn/matmul.h"
#include "tokenizer_graph.h"
#include "nn/backend.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void die(const char *what, const cv_status *st)
{
    fprintf(stderr, "cosyvoice-bench-frontend: %s: %s\n", what, st->message);
    exit(1);
}

int main(int argc, char **argv)
{
    const char *root = getenv("CV_SOURCE_DIR");
    char camp_default[4096];
    snprintf(camp_default, sizeof camp_default, "%s/tests/data/golden/frontend-tiny/campplus.onnx",
             root ? root : ".");
    const char *campplus = camp_default, *tokenizer = NULL;
    double seconds = 10;
    int threads = 2, runs = 3;
    tokenizer_dims dims = {128, 1280, 20, 6, 4096, 1500};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--campplus") && v) campplus = argv[++i];
        else if (!strcmp(a, "--tokenizer") && v) tokenizer = argv[++i];
        else if (!strcmp(a, "--seconds") && v) seconds = atof(argv[++i]);
        else if (!strcmp(a, "--threads") && v) threads = atoi(argv[++i]);
        else if (!strcmp(a, "--runs") && v) runs = atoi(argv[++i]);
        else if (!strcmp(a, "--width") && v) dims.width = atoi(argv[++i]);
        else if (!strcmp(a, "--heads") && v) dims.heads = atoi(argv[++i]);
        else if (!strcmp(a, "--layers") && v) dims.layers = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--campplus F] [--tokenizer F] [--seconds S] [--threads N] "
                            "[--runs N] [--width W] [--heads H] [--layers L]\n", argv[0]);
            return 2;
        }
    }
    if (seconds <= 0.2 || seconds > PROMPT_FRONTEND_MAX_SECONDS || runs < 1 || dims.width < 1 ||
        dims.heads < 1 || dims.width % dims.heads || dims.layers < 0) {
        fprintf(stderr, "cosyvoice-bench-frontend: bad arguments\n");
        return 2;
    }
    nn_set_threads(threads);
    nn_backend_print(stdout, threads);

    char tok_path[4096];
    if (!tokenizer) {
        snprintf(tok_path, sizeof tok_path, "%s/cosyvoice-bench-tokenizer-w%d-h%d-l%d.onnx",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", dims.width, dims.heads, dims.layers);
        if (access(tok_path, R_OK) != 0) {
            printf("writing full-size tokenizer graph to %s ...\n", tok_path);
            fflush(stdout);
            if (tokenizer_graph_write(&dims, 4321, tok_path) != 0) {
                fprintf(stderr, "cosyvoice-bench-frontend: cannot write %s\n", tok_path);
                return 1;
            }
        }
        tokenizer = tok_path;
    }

    double t0 = now();
    cv_status st;
    prompt_frontend *pf = prompt_frontend_load_files(campplus, tokenizer, NULL, CV_FAMILY_V1, &st);
    if (!pf) die("load", &st);
    const double load_s = now() - t0;

    /* a voiced-sounding synthetic prompt: harmonics of a gliding f0 plus noise */
    const size_t n = (size_t)(seconds * 16000);
    float *x = malloc(sizeof(float) * n);
    unsigned r = 1;
    double phase = 0;
    for (size_t i = 0; i < n; i++) {
        double f0 = 120 + 40 * sin(2 * M_PI * 0.3 * i / 16000.0);
        phase += 2 * M_PI * f0 / 16000.0;
        double s = 0;
        for (int h = 1; h <= 8; h++) s += sin(h * phase) / h;
        r = r * 1664525u + 1013904223u;
        x[i] = (float)(0.2 * s + 0.01 * ((double)(r >> 8) / 8388608.0 - 1.0));
    }

    fe_prompt_mel_config cfg = {22050, 1024, 256, 1024, 80, 0.0, 8000.0};
    fe_feats *fe = fe_feats_new(&cfg, &st);
    sinc_resampler *rs = sinc_resampler_new(16000, 22050);
    if (!fe || !rs) die("features", &st);
    double *tf = calloc((size_t)runs, sizeof(double)), *tt = calloc((size_t)runs, sizeof(double));
    double *ts = calloc((size_t)runs, sizeof(double));
    int n_tokens = 0, mel_frames = 0;
    for (int k = 0; k < runs; k++) {
        float *mel = NULL, *fb = NULL, *pm = NULL, emb[PROMPT_SPK_DIM];
        int T = 0, Tf = 0;
        int32_t *tokens = NULL;
        double a = now();
        st = fe_whisper_mel(fe, x, n, &mel, &T);
        if (cv_is_ok(&st)) st = fe_fbank(fe, x, n, &fb, &Tf);
        size_t n22 = sinc_resampler_out_len(rs, n);
        float *x22 = malloc(sizeof(float) * n22);
        if (cv_is_ok(&st)) sinc_resampler_run(rs, x, n, x22);
        if (cv_is_ok(&st)) st = fe_prompt_mel(fe, x22, n22, &pm, &mel_frames);
        if (!cv_is_ok(&st)) die("features", &st);
        double b = now();
        st = prompt_frontend_tokens(pf, mel, T, &tokens, &n_tokens);
        if (!cv_is_ok(&st)) die("tokenizer", &st);
        double c = now();
        st = prompt_frontend_embedding(pf, fb, Tf, emb);
        if (!cv_is_ok(&st)) die("speaker model", &st);
        double d = now();
        tf[k] = b - a;
        tt[k] = c - b;
        ts[k] = d - c;
        free(mel);
        free(fb);
        free(pm);
        free(x22);
        free(tokens);
    }
    printf("prompt %.1f s, %d threads, %d runs (median seconds), tokenizer width %d / %d heads / "
           "%d layers, load %.2f s\n",
           seconds, threads, runs, dims.width, dims.heads, dims.layers, load_s);
    printf("  features      %.3f s  (Whisper log-mel, fbank, 22050 Hz resample, prompt mel: %d frames)\n",
           median(tf, runs), mel_frames);
    printf("  tokenizer     %.3f s  (%d tokens)\n", median(tt, runs), n_tokens);
    printf("  speaker model %.3f s  (CAM++)\n", median(ts, runs));
    free(tf);
    free(tt);
    free(ts);
    free(x);
    fe_feats_free(fe);
    sinc_resampler_free(rs);
    prompt_frontend_free(pf);
    return 0;
}
