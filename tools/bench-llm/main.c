/* cosyvoice-bench-llm: speed of a family's speech-token LM at its official
 * size with random weights generated in memory (no checkpoint needed):
 *   --family v1   CosyVoice-300M's TransformerLM (text encoder + 14 blocks)
 *   --family v2   CosyVoice2-0.5B's Qwen2LM (24 Qwen2 layers, hidden 896)
 *   --family v3   Fun-CosyVoice3-0.5B's CosyVoice3LM (the same Qwen2)
 * Reports the time to the first token (prompt pass + first step) and the
 * steady decoding rate in tokens per second, float32 or int8 weights, or
 * (--int8-error) how far int8 weights move the log-probabilities. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timeutil.h"
#include "model/blocks/qwen2_lm.h"
#include "model/v1/llm.h"
#include "nn/matmul.h"
#include "nn/backend.h"
#include "nn/weights.h"
#include "random/llm_random.h"
#include "random/qwen2_random.h"

/* CPU time of the whole process (all threads): on a busy machine wall time
 * mostly measures the other processes, this measures our work. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One LM of any family behind the same three calls. */
typedef struct bench_lm {
    int family; /* 1, 2, 3 */
    llm_model *v1;
    qwen2_lm *qwen;
    pt_dict sd;
    float emb[192]; /* v1's speaker embedding */
} bench_lm;

static cv_status lm_build(bench_lm *b, int family, bool small)
{
    b->family = family;
    rw_rng rng = rw_rng_seed(1);
    cv_status s;
    if (family == 1) {
        llm_config cfg = llm_config_cosyvoice_300m();
        if (small) cfg.text_encoder.num_blocks = cfg.llm.num_blocks = 1;
        s = llm_random_weights(&b->sd, &cfg, &rng);
        if (cv_is_ok(&s)) s = llm_load(&b->sd, &cfg, &b->v1);
        for (int i = 0; i < 192; i++) b->emb[i] = (float)((i % 17) - 8) * 0.1f;
        return s;
    }
    qwen2_lm_config cfg = qwen2_lm_config_official(family);
    if (small) /* the full vocabulary: v3's <|endofprompt|> is id 151646 */
        cfg.qwen.layers = 2, cfg.qwen.hidden = 128, cfg.qwen.heads = 2, cfg.qwen.kv_heads = 1,
        cfg.qwen.intermediate = 256;
    s = qwen2_lm_random_weights(&b->sd, &cfg, &rng);
    if (cv_is_ok(&s)) s = qwen2_lm_load(&b->sd, &cfg, &b->qwen);
    return s;
}

static cv_status lm_quantize(bench_lm *b)
{
    return b->family == 1 ? llm_quantize(b->v1) : qwen2_lm_quantize(b->qwen);
}

static int lm_rows(const bench_lm *b)
{
    return b->family == 1 ? llm_cfg(b->v1)->speech_token_size + 1
                          : qwen2_lm_cfg(b->qwen)->layout.n_speech_rows;
}

static int lm_text_vocab(const bench_lm *b)
{
    /* v3's text must hold <|endofprompt|>, an id past the BPE tokens */
    return b->family == 1 ? llm_cfg(b->v1)->text_token_size : 151643;
}

static cv_status lm_generate(bench_lm *b, const int32_t *text, int n_text,
                             const llm_decode_options *o, int32_t **tok, int *n)
{
    if (b->family == 1) {
        llm_input in = {.text = text, .n_text = n_text, .embedding = b->emb};
        return llm_generate(b->v1, &in, o, tok, n);
    }
    /* CosyVoice3 needs <|endofprompt|> in the prompt text */
    static const int32_t eop[] = {151646};
    qwen2_lm_input in = {.text = text, .n_text = n_text, .prompt_text = eop,
                         .n_prompt_text = b->family == 3 ? 1 : 0};
    return qwen2_lm_generate(b->qwen, &in, o, tok, n);
}

static void lm_free(bench_lm *b)
{
    llm_free(b->v1);
    qwen2_lm_free(b->qwen);
    pt_free(&b->sd);
}

typedef struct timing {
    double start, first, last, cpu_first, cpu_last;
    int n, stop_after;
} timing;

static bool on_token(void *u, int32_t t)
{
    (void)t;
    timing *tm = u;
    double now = cv_now(), cpu = cpu_now();
    if (tm->n == 0) tm->first = now, tm->cpu_first = cpu;
    tm->last = now, tm->cpu_last = cpu;
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

/* How far 8-bit weights move the log-probs at this size: float32 decoding
 * (greedy, or forced as in o), then the same history teacher-forced with
 * int8 weights. */
static int int8_error(bench_lm *b, const int32_t *text, int n_text, llm_decode_options o,
                      int tokens)
{
    int V = lm_rows(b);
    rows f = {.cols = V, .cap = tokens}, q = {.cols = V, .cap = tokens};
    f.data = malloc(sizeof(float) * V * tokens), q.data = malloc(sizeof(float) * V * tokens);
    int32_t *tok = NULL, *tok8 = NULL;
    int n = 0, n8 = 0;
    o.mode = LLM_SAMPLE_GREEDY;
    o.on_token = NULL;
    /* exactly `tokens` steps, the masked stop id never allowed */
    o.min_token_text_ratio = o.max_token_text_ratio = (float)tokens / (float)n_text;
    o.on_logp = keep_row;
    o.user = &f;
    /* the float32 run greedy (or along the caller's forced tokens), the
     * int8 run forced along the same history */
    cv_status s = lm_generate(b, text, n_text, &o, &tok, &n);
    if (cv_is_ok(&s)) s = lm_quantize(b);
    o.user = &q;
    if (!o.forced) o.forced = tok, o.n_forced = n;
    if (cv_is_ok(&s)) s = lm_generate(b, text, n_text, &o, &tok8, &n8);
    if (!cv_is_ok(&s)) {
        fprintf(stderr, "bench-llm: %s\n", s.message);
        return 1;
    }
    double worst = 0, sum = 0;
    long cnt = 0;
    int agree = 0, steps = f.n < q.n ? f.n : q.n;
    for (int i = 0; i < steps; i++) {
        const float *a = f.data + (size_t)i * V, *c = q.data + (size_t)i * V;
        int am = 0, bm = 0;
        for (int j = 0; j < V; j++) {
            if (isinf(a[j]) || isinf(c[j])) continue;
            double d = fabs((double)a[j] - c[j]);
            worst = d > worst ? d : worst;
            sum += d, cnt++;
            if (a[j] > a[am]) am = j;
            if (c[j] > c[bm]) bm = j;
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
    fprintf(stderr, "usage: cosyvoice-bench-llm [--family v1|v2|v3] [--threads N] [--text-len N]"
                    " [--tokens N] [--repeat N] [--int8] [--int8-error] [--small]"
                    " [--precision fp32|bf16]\n"
                    "  --int8-error: instead of timing, compare int8 with float32 log-probs\n"
                    "  --small: a model a fraction of the size (a smoke run of the tool itself)\n"
                    "  --precision bf16: the prompt pass's GEMMs on bf16 weights\n");
}

int main(int argc, char **argv)
{
    int threads = 2, text_len = 40, tokens = 100, repeat = 2, family = 1;
    bool int8 = false, small = false, error = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--int8")) int8 = true;
        else if (!strcmp(a, "--small")) small = true;
        else if (!strcmp(a, "--int8-error")) error = true;
        else if (i + 1 < argc && !strcmp(a, "--family")) {
            const char *f = argv[++i];
            family = !strcmp(f, "v1") ? 1 : !strcmp(f, "v2") ? 2 : !strcmp(f, "v3") ? 3 : 0;
        } else if (i + 1 < argc && !strcmp(a, "--precision")) {
            const char *v = argv[++i];
            if (strcmp(v, "fp32") && strcmp(v, "bf16")) {
                usage();
                return 2;
            }
            if (!nn_set_precision(strcmp(v, "bf16") ? NN_FP32 : NN_BF16)) {
                fprintf(stderr, "bench-llm: this CPU has no bf16 dot products\n");
                return 2;
            }
        } else if (i + 1 < argc && !strcmp(a, "--threads")) threads = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(a, "--text-len")) text_len = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(a, "--tokens")) tokens = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(a, "--repeat")) repeat = atoi(argv[++i]);
        else {
            usage();
            return 2;
        }
    }
    if (text_len < 1 || tokens < 2 || repeat < 1 || family == 0) {
        usage();
        return 2;
    }
    nn_set_threads(threads);
    nn_backend_print(stdout, threads);
    double t0 = cv_now();
    bench_lm b = {0};
    cv_status s = lm_build(&b, family, small);
    if (cv_is_ok(&s) && int8 && !error) s = lm_quantize(&b);
    if (!cv_is_ok(&s)) {
        fprintf(stderr, "bench-llm: %s\n", s.message);
        lm_free(&b);
        return 1;
    }
    if (family == 1) {
        const llm_config *c = llm_cfg(b.v1);
        printf("model: CosyVoice-300M LM, text encoder %d blocks, LM %d blocks, width %d",
               c->text_encoder.num_blocks, c->llm.num_blocks, c->llm.output_size);
    } else {
        const qwen2_config *c = &qwen2_lm_cfg(b.qwen)->qwen;
        printf("model: %s LM, Qwen2 %d layers, hidden %d, %d heads / %d kv heads, MLP %d, "
               "vocabulary %d",
               family == 2 ? "CosyVoice2-0.5B" : "Fun-CosyVoice3-0.5B", c->layers, c->hidden,
               c->heads, c->kv_heads, c->intermediate, c->vocab);
    }
    printf(", %s weights (built in %.1f s), %d threads, precision %s\n",
           int8 ? "int8" : "float32", cv_now() - t0, threads,
           nn_precision_name(nn_get_precision()));

    int32_t *text = malloc(sizeof(int32_t) * text_len);
    for (int i = 0; i < text_len; i++) text[i] = (int32_t)((i * 7919 + 13) % lm_text_vocab(&b));
    /* a fixed number of tokens, independent of when a stop id would come */
    llm_decode_options o = llm_decode_defaults();
    o.seed = 42;
    o.min_token_text_ratio = (float)tokens / (float)text_len + 1.0f;
    o.max_token_text_ratio = o.min_token_text_ratio + 1.0f;
    o.on_token = on_token;
    o.n_threads = threads;
    /* Qwen2 LMs stop on ids the length rule does not hold back (v2: 6562,
     * 6563; v3: every id past 6561 but sos): the sampler still runs every
     * step, its choice is replaced by a speech token */
    int32_t *forced = malloc(sizeof(int32_t) * (tokens + 1));
    for (int i = 0; i <= tokens; i++) forced[i] = (int32_t)((i * 104729 + 7) % 6561);
    if (family != 1) o.forced = forced, o.n_forced = tokens + 1;
    int rc = 0;
    if (error) repeat = 0, rc = int8_error(&b, text, text_len, o, tokens);
    for (int r = 0; r < repeat; r++) {
        timing tm = {.stop_after = tokens};
        o.user = &tm;
        int32_t *out = NULL;
        int n = 0;
        tm.start = cv_now();
        s = lm_generate(&b, text, text_len, &o, &out, &n);
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
    free(forced);
    lm_free(&b);
    return rc;
}
