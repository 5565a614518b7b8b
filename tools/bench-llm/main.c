/* cosyvoice-bench-llm: speed of the speech-token LM at CosyVoice-300M's
 * size with random weights generated in memory (no checkpoint needed).
 * Reports the time to the first token (text encoder + LM prefix + first
 * step) and the steady decoding rate in tokens per second. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timeutil.h"
#include "model/v1/llm.h"
#include "random/llm_random.h"
#include "nn/matmul.h"
#include "nn/backend.h"

/* CPU time of the whole process (all threads): on a busy machine wall time
 * mostly measures the other processes, this measures our work. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct timing {
    double start, first, last, cpu_first, cpu_last;
    int n, stop_after;
    int32_t tokens[4096];
} timing;

static bool on_token(void *u, int32_t t)
{
    timing *tm = u;
    double now = cv_now(), cpu = cpu_now();
    if (tm->n == 0) tm->first = now, tm->cpu_first = cpu;
    tm->last = now, tm->cpu_last = cpu;
    if (tm->n < 4096) tm->tokens[tm->n] = t;
    return ++tm->n < tm->stop_after;
}

typedef struct rows {
    float *data;
    int cols, cap, n;
} rows;

static void keep_row(void *u, int step, const float *lp, int n)
{
    rows *r = u;
    if (step >= r->cap) return;
    memcpy(r->data + (size_t)step * n, lp, (size_t)n * sizeof(float));
    if (step + 1 > r->n) r->n = step + 1;
}

/* How far 8-bit weights move the log-probs at this size: greedy float32
 * decoding, then the same history teacher-forced with int8 weights. */
static int int8_error(llm_model *m, const llm_input *in, llm_decode_options o, int tokens)
{
    int V = llm_cfg(m)->speech_token_size + 1;
    rows f = {.cols = V, .cap = tokens}, q = {.cols = V, .cap = tokens};
    f.data = malloc(sizeof(float) * V * tokens), q.data = malloc(sizeof(float) * V * tokens);
    int32_t *tok = NULL, *tok8 = NULL;
    int n = 0, n8 = 0;
    o.mode = LLM_SAMPLE_GREEDY;
    o.on_token = NULL;
    /* exactly `tokens` steps, eos never allowed */
    o.min_token_text_ratio = o.max_token_text_ratio = (float)tokens / (float)in->n_text;
    o.on_logp = keep_row;
    o.user = &f;
    cv_status s = llm_generate(m, in, &o, &tok, &n);
    if (cv_is_ok(&s)) s = llm_quantize(m);
    o.user = &q;
    o.forced = tok;
    o.n_forced = n;
    if (cv_is_ok(&s)) s = llm_generate(m, in, &o, &tok8, &n8);
    if (!cv_is_ok(&s)) {
        fprintf(stderr, "bench-llm: %s\n", s.message);
        return 1;
    }
    double worst = 0, sum = 0;
    long cnt = 0;
    int agree = 0, steps = f.n < q.n ? f.n : q.n;
    for (int i = 0; i < steps; i++) {
        const float *a = f.data + (size_t)i * V, *b = q.data + (size_t)i * V;
        int am = 0, bm = 0;
        for (int j = 0; j < V; j++) {
            if (isinf(a[j]) || isinf(b[j])) continue;
            double d = fabs((double)a[j] - b[j]);
            worst = d > worst ? d : worst;
            sum += d, cnt++;
            if (a[j] > a[am]) am = j;
            if (b[j] > b[bm]) bm = j;
        }
        agree += am == bm;
    }
    printf("int8 vs float32 log-probs over %d steps: max |diff| %.4f, mean |diff| %.5f, "
           "argmax agrees on %d of %d steps\n", steps, worst, cnt ? sum / cnt : 0.0, agree, steps);
    free(tok), free(tok8), free(f.data), free(q.data);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: cosyvoice-bench-llm [--threads N] [--text-len N] [--tokens N]"
                    " [--repeat N] [--int8] [--int8-error] [--small]\n"
                    "  --int8-error: instead of timing, compare int8 with float32 log-probs\n");
}

int main(int argc, char **argv)
{
    int threads = 2, text_len = 40, tokens = 100, repeat = 2;
    bool int8 = false, small = false, error = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--int8")) int8 = true;
        else if (!strcmp(a, "--small")) small = true;
        else if (!strcmp(a, "--int8-error")) error = true;
        else if (i + 1 < argc && !strcmp(a, "--threads")) threads = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(a, "--text-len")) text_len = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(a, "--tokens")) tokens = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(a, "--repeat")) repeat = atoi(argv[++i]);
        else {
            usage();
            return 2;
        }
    }
    if (text_len < 1 || tokens < 2 || repeat < 1) {
        usage();
        return 2;
    }
    llm_config cfg = llm_config_cosyvoice_300m();
    if (small) { /* quick smoke run of the tool itself */
        cfg.text_encoder.num_blocks = 1;
        cfg.llm.num_blocks = 1;
    }
    nn_set_threads(threads);
    nn_backend_print(stdout, threads);
    double t0 = cv_now();
    pt_dict sd = {0};
    rw_rng rng = rw_rng_seed(1);
    cv_status s = llm_random_weights(&sd, &cfg, &rng);
    llm_model *m = NULL;
    if (cv_is_ok(&s)) s = llm_load(&sd, &cfg, &m);
    if (cv_is_ok(&s) && int8 && !error) s = llm_quantize(m);
    if (!cv_is_ok(&s)) {
        fprintf(stderr, "bench-llm: %s\n", s.message);
        pt_free(&sd);
        return 1;
    }
    printf("model: text encoder %d blocks, LM %d blocks, width %d, %s weights "
           "(built in %.1f s), %d threads\n",
           cfg.text_encoder.num_blocks, cfg.llm.num_blocks, cfg.llm.output_size,
           int8 ? "int8" : "float32", cv_now() - t0, threads);

    int32_t *text = malloc(sizeof(int32_t) * text_len);
    for (int i = 0; i < text_len; i++) text[i] = (int32_t)((i * 7919 + 13) % cfg.text_token_size);
    float emb[192];
    for (int i = 0; i < 192; i++) emb[i] = (float)((i % 17) - 8) * 0.1f;
    llm_input in = {.text = text, .n_text = text_len, .embedding = emb};
    /* a fixed number of tokens, independent of when eos would come */
    int min_tokens = tokens;
    llm_decode_options o = llm_decode_defaults();
    o.seed = 42;
    o.min_token_text_ratio = (float)min_tokens / (float)text_len + 1.0f;
    o.max_token_text_ratio = o.min_token_text_ratio + 1.0f;
    o.on_token = on_token;
    o.n_threads = threads;
    int rc = 0;
    if (error) repeat = 0, rc = int8_error(m, &in, o, tokens);
    for (int r = 0; r < repeat; r++) {
        timing tm = {.stop_after = tokens};
        o.user = &tm;
        int32_t *out = NULL;
        int n = 0;
        tm.start = cv_now();
        s = llm_generate(m, &in, &o, &out, &n);
        free(out);
        if (!cv_is_ok(&s) || tm.n < 2) {
            fprintf(stderr, "bench-llm: %s\n", cv_is_ok(&s) ? "too few tokens" : s.message);
            rc = 1;
            break;
        }
        printf("run %d: text %d tokens, first token after %.1f ms, %d tokens at %.2f tokens/s "
               "(%.1f ms CPU per token, all threads)\n",
               r + 1, text_len, 1e3 * (tm.first - tm.start), tm.n,
               (tm.n - 1) / (tm.last - tm.first),
               1e3 * (tm.cpu_last - tm.cpu_first) / (tm.n - 1));
    }
    free(text);
    llm_free(m);
    pt_free(&sd);
    return rc;
}
