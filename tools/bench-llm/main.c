/* cosyvoice-bench-llm: speed of the speech-token LM at CosyVoice-300M's
 * size with random weights generated in memory (no checkpoint needed).
 * Reports the time to the first token (text encoder + LM prefix + first
 * step) and the steady decoding rate in tokens per second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "model/llm.h"
#include "model/llm_random.h"
#include "nn/matmul.h"

typedef struct timing {
    double start, first, last;
    int n, stop_after;
} timing;

static bool on_token(void *u, int32_t t)
{
    (void)t;
    timing *tm = u;
    double now = cv_now();
    if (tm->n == 0) tm->first = now;
    tm->last = now;
    return ++tm->n < tm->stop_after;
}

static void usage(void)
{
    fprintf(stderr, "usage: cosyvoice-bench-llm [--threads N] [--text-len N] [--tokens N]"
                    " [--repeat N] [--int8] [--small]\n");
}

int main(int argc, char **argv)
{
    int threads = 2, text_len = 40, tokens = 100, repeat = 2;
    bool int8 = false, small = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--int8")) int8 = true;
        else if (!strcmp(a, "--small")) small = true;
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
    double t0 = cv_now();
    pt_dict sd = {0};
    rw_rng rng = rw_rng_seed(1);
    cv_status s = llm_random_weights(&sd, &cfg, &rng);
    llm_model *m = NULL;
    if (cv_is_ok(&s)) s = llm_load(&sd, &cfg, &m);
    if (cv_is_ok(&s) && int8) s = llm_quantize(m);
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
        printf("run %d: text %d tokens, first token after %.1f ms, %d tokens at %.2f tokens/s\n",
               r + 1, text_len, 1e3 * (tm.first - tm.start), tm.n,
               (tm.n - 1) / (tm.last - tm.first));
    }
    free(text);
    llm_free(m);
    pt_free(&sd);
    return rc;
}
