/* Unit tests for the Qwen2 decoder and the speech LM of CosyVoice2 and 3
 * (blocks/qwen2, blocks/qwen2_lm, blocks/qwen2_lm_bistream, v2/llm, v3/llm):
 * the config reader, incremental decoding against one pass (grouped-query,
 * multi-query and plain multi-head layouts, across cache growth), limits,
 * input errors, seeded sampling independent of threads, cancellation, int8,
 * the families' token layouts, CosyVoice3's <|endofprompt|> handling and
 * silent-token filter, and the bistream schedule's fixed reference faults.
 * Parity with the reference is cosyvoice-parity's (groups llm, bistream). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/blocks/qwen2_lm_bistream.h"
#include "model/frontend/text_tokenizer.h"
#include "model/io/yaml_config.h"
#include "model/v2/llm.h"
#include "model/v3/llm.h"
#include "random/qwen2_random.h"
#include "stop_test_util.h"

#define V2_DIR "tests/data/golden/cosyvoice2-tiny"
#define V3_DIR "tests/data/golden/cosyvoice3-tiny"

static char SRC[2048];
static qwen2_lm *V2, *V3;
static yaml_config *Y2, *Y3;

static void src_path(char *out, size_t cap, const char *rel)
{
    int n = snprintf(out, cap, "%s/%s", SRC, rel);
    assert_true(n > 0 && (size_t)n < cap);
}

static int setup(void **state)
{
    (void)state;
    const char *env = getenv("CV_SOURCE_DIR");
    snprintf(SRC, sizeof SRC, "%s", env ? env : ".");
    char dir[4096], yaml[4096];
    src_path(yaml, sizeof yaml, V2_DIR "/cosyvoice2.yaml");
    cv_status s = yaml_config_load(yaml, &Y2);
    src_path(dir, sizeof dir, V2_DIR);
    if (cv_is_ok(&s)) s = cv2_llm_open(dir, Y2, NULL, &V2);
    src_path(yaml, sizeof yaml, V3_DIR "/cosyvoice3.yaml");
    if (cv_is_ok(&s)) s = yaml_config_load(yaml, &Y3);
    src_path(dir, sizeof dir, V3_DIR);
    if (cv_is_ok(&s)) s = cv3_llm_open(dir, Y3, NULL, &V3);
    if (!cv_is_ok(&s)) fprintf(stderr, "setup: %s\n", s.message);
    return cv_is_ok(&s) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    qwen2_lm_free(V2);
    qwen2_lm_free(V3);
    yaml_config_free(Y2);
    yaml_config_free(Y3);
    return 0;
}

static char *write_temp(const char *content)
{
    char *path = strdup("/tmp/cv_qwen2_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    return path;
}

static void expect_config_error(const char *json, cv_code code)
{
    char *path = write_temp(json);
    qwen2_config c;
    assert_int_equal(qwen2_config_read(path, &c).code, code);
    unlink(path);
    free(path);
}

static void test_config(void **state)
{
    (void)state;
    const qwen2_config *c = &qwen2_lm_cfg(V2)->qwen;
    assert_int_equal(c->hidden, 64);
    assert_int_equal(c->intermediate, 128);
    assert_int_equal(c->layers, 2);
    assert_int_equal(c->heads, 4);
    assert_int_equal(c->kv_heads, 2);
    assert_int_equal(c->head_dim, 16);
    assert_int_equal(c->vocab, 1024);
    assert_int_equal(c->max_positions, 32768);
    assert_true(fabs(c->rope_theta - 1e6) < 1e-3);
    assert_true(fabsf(c->rms_eps - 1e-6f) < 1e-12f);
    assert_int_equal(qwen2_lm_cfg(V3)->qwen.vocab, 151936);
    const char *base = "\"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2,"
                       " \"num_attention_heads\": 4, \"vocab_size\": 100";
    char buf[512];
    snprintf(buf, sizeof buf, "{%s}", base);
    char *path = write_temp(buf);
    qwen2_config q;
    assert_int_equal(qwen2_config_read(path, &q).code, CV_OK);
    assert_int_equal(q.kv_heads, 4); /* defaults: as many kv heads as heads */
    assert_true(fabs(q.rope_theta - 10000.0) < 1e-9);
    unlink(path);
    free(path);
    snprintf(buf, sizeof buf, "{%s, \"rope_scaling\": {\"type\": \"yarn\"}}", base);
    expect_config_error(buf, CV_INVALID_ARGUMENT);
    snprintf(buf, sizeof buf, "{%s, \"hidden_act\": \"gelu\"}", base);
    expect_config_error(buf, CV_INVALID_ARGUMENT);
    snprintf(buf, sizeof buf, "{%s, \"num_key_value_heads\": 3}", base);
    expect_config_error(buf, CV_INVALID_ARGUMENT);
    snprintf(buf, sizeof buf, "{%s, \"use_sliding_window\": true}", base);
    expect_config_error(buf, CV_INVALID_ARGUMENT);
    snprintf(buf, sizeof buf, "{%s, \"model_type\": \"llama\"}", base);
    expect_config_error(buf, CV_INVALID_ARGUMENT);
    expect_config_error("{\"hidden_size\": 64}", CV_INVALID_ARGUMENT);
    expect_config_error("{\"hidden_size\": -1, ", CV_INVALID_ARGUMENT);
    assert_int_equal(qwen2_config_read("/nonexistent/config.json", &q).code, CV_NOT_FOUND);
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static float frand(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return (float)((rng_state >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

/* Feeding a sequence at once, one position at a time or in uneven chunks
 * gives the same outputs (the causal mask of one pass equals the cache). */
static void check_incremental(const qwen2 *q, int T)
{
    int H = qwen2_cfg(q)->hidden;
    float *x = malloc((size_t)T * H * sizeof(float));
    float *whole = malloc((size_t)T * H * sizeof(float)), *part = malloc((size_t)T * H * sizeof(float));
    for (int i = 0; i < T * H; i++) x[i] = frand();
    qwen2_state *a = qwen2_state_new(q, NULL);
    assert_int_equal(qwen2_step(q, a, x, T, whole).code, CV_OK);
    assert_int_equal(qwen2_state_len(a), T);
    static const int chunks[] = {1, 7, 1, 30, 2};
    for (int mode = 0; mode < 2; mode++) {
        qwen2_state *b = qwen2_state_new(q, NULL);
        for (int t = 0, k = 0; t < T; k++) {
            int n = mode == 0 ? 1 : chunks[k % 5];
            if (n > T - t) n = T - t;
            assert_int_equal(qwen2_step(q, b, x + (size_t)t * H, n, part + (size_t)t * H).code, CV_OK);
            t += n;
        }
        double worst = 0;
        for (int i = 0; i < T * H; i++) worst = fmax(worst, fabs((double)whole[i] - part[i]));
        assert_true(worst < 1e-4);
        qwen2_state_free(b);
    }
    qwen2_state_free(a);
    free(x), free(whole), free(part);
}

static void test_incremental_equals_whole(void **state)
{
    (void)state;
    /* 150 positions: the cache grows past its first 64 and 128 rows */
    check_incremental(qwen2_lm_decoder(V2), 150);
    check_incremental(qwen2_lm_decoder(V3), 40);
    /* multi-query (1 kv head) and plain multi-head layouts */
    for (int kv = 1; kv <= 4; kv += 3) {
        qwen2_lm_config cfg = qwen2_lm_config_official(2);
        cfg.qwen = (qwen2_config){.hidden = 32, .intermediate = 48, .layers = 2, .heads = 4,
                                  .kv_heads = kv, .head_dim = 8, .vocab = 50,
                                  .max_positions = 4096, .rms_eps = 1e-6f, .rope_theta = 1e4};
        pt_dict sd = {0};
        rw_rng rng = rw_rng_seed(3);
        assert_int_equal(qwen2_lm_random_weights(&sd, &cfg, &rng).code, CV_OK);
        qwen2_lm *m = NULL;
        assert_int_equal(qwen2_lm_load(&sd, &cfg, &m).code, CV_OK);
        check_incremental(qwen2_lm_decoder(m), 70);
        qwen2_lm_free(m);
        pt_free(&sd);
    }
}

static void test_max_positions(void **state)
{
    (void)state;
    qwen2_lm_config cfg = qwen2_lm_config_official(2);
    cfg.qwen = (qwen2_config){.hidden = 16, .intermediate = 16, .layers = 1, .heads = 2,
                              .kv_heads = 1, .head_dim = 8, .vocab = 10, .max_positions = 10,
                              .rms_eps = 1e-6f, .rope_theta = 1e4};
    pt_dict sd = {0};
    rw_rng rng = rw_rng_seed(4);
    assert_int_equal(qwen2_lm_random_weights(&sd, &cfg, &rng).code, CV_OK);
    qwen2_lm *m = NULL;
    assert_int_equal(qwen2_lm_load(&sd, &cfg, &m).code, CV_OK);
    const qwen2 *q = qwen2_lm_decoder(m);
    float x[16 * 8] = {0}, y[16 * 8];
    qwen2_state *st = qwen2_state_new(q, NULL);
    assert_int_equal(qwen2_step(q, st, x, 8, y).code, CV_OK);
    assert_int_equal(qwen2_step(q, st, x, 3, y).code, CV_RESOURCE_EXHAUSTED);
    assert_int_equal(qwen2_step(q, st, x, 2, y).code, CV_OK);
    assert_int_equal(qwen2_step(q, st, x, 0, y).code, CV_INVALID_ARGUMENT);
    qwen2_state_free(st);
    /* decoding past the limit fails cleanly, keeping what it produced */
    qwen2_lm_input in = {.text = (int32_t[]){1, 2, 3}, .n_text = 3};
    llm_decode_options o = llm_decode_defaults();
    o.mode = LLM_SAMPLE_GREEDY;
    int32_t forced[20];
    for (int i = 0; i < 20; i++) forced[i] = 3; /* no stop id */
    o.forced = forced;
    o.n_forced = 20;
    int32_t *tok = NULL;
    int n = 0;
    /* 5 prompt positions and 5 fed tokens fill the 10; the 6th token is out */
    assert_int_equal(qwen2_lm_generate(m, &in, &o, &tok, &n).code, CV_RESOURCE_EXHAUSTED);
    assert_int_equal(n, 6);
    free(tok);
    qwen2_lm_free(m);
    pt_free(&sd);
}

/* Loading checks the family's tensors. */
static void test_load_errors(void **state)
{
    (void)state;
    qwen2_lm_config cfg = qwen2_lm_config_official(2);
    cfg.qwen = (qwen2_config){.hidden = 16, .intermediate = 16, .layers = 1, .heads = 2,
                              .kv_heads = 1, .head_dim = 8, .vocab = 10, .max_positions = 64,
                              .rms_eps = 1e-6f, .rope_theta = 1e4};
    pt_dict sd = {0};
    rw_rng rng = rw_rng_seed(5);
    assert_int_equal(qwen2_lm_random_weights(&sd, &cfg, &rng).code, CV_OK);
    qwen2_lm *m = NULL;
    /* v2 weights (llm_decoder with a bias, no speech rows 6564..6760) read as v3 */
    qwen2_lm_config v3 = cfg;
    v3.layout = cv3_llm_layout(6561, 5, 15);
    assert_int_equal(qwen2_lm_load(&sd, &v3, &m).code, CV_INVALID_ARGUMENT);
    assert_null(m);
    /* a tensor with another shape, and one missing */
    qwen2_lm_config wide = cfg;
    wide.qwen.intermediate = 17;
    assert_int_equal(qwen2_lm_load(&sd, &wide, &m).code, CV_INVALID_ARGUMENT);
    for (size_t i = 0; i < sd.count; i++)
        if (!strcmp(sd.items[i].name, "llm_decoder.bias")) sd.items[i].name[0] = 'X';
    assert_int_equal(qwen2_lm_load(&sd, &cfg, &m).code, CV_NOT_FOUND);
    pt_free(&sd);
    /* a family's open refuses the other family's yaml */
    char dir[4096];
    src_path(dir, sizeof dir, V3_DIR);
    assert_int_equal(cv2_llm_open(dir, Y3, NULL, &m).code, CV_UNIMPLEMENTED);
    assert_int_equal(cv3_llm_open(dir, Y3, "nonexistent.pt", &m).code, CV_NOT_FOUND);
}

static void test_layouts(void **state)
{
    (void)state;
    const qwen2_lm_layout *l2 = &qwen2_lm_cfg(V2)->layout, *l3 = &qwen2_lm_cfg(V3)->layout;
    assert_int_equal(l2->n_speech_rows, 6564);
    assert_int_equal(l2->eos, 6561);
    assert_int_equal(l2->fill, 6563);
    assert_int_equal(l2->min_len_masked, 6561);
    assert_int_equal(l3->n_speech_rows, 6761);
    assert_int_equal(l3->eos, 6562);
    assert_int_equal(l3->fill, 6564);
    assert_int_equal(l3->min_len_masked, 6561); /* sos: the reference's masking */
    assert_int_equal(l2->mix_text, 5);
    assert_int_equal(l2->mix_speech, 15);
    for (int id = 6560; id < 6761; id++) {
        assert_int_equal(qwen2_lm_is_stop(V3, id), id >= 6561);
        if (id < 6564) assert_int_equal(qwen2_lm_is_stop(V2, id), id >= 6561);
    }
    qwen2_lm_table t;
    int row;
    qwen2_lm_sos(V3, &t, &row);
    assert_int_equal(t, QWEN2_LM_SPEECH);
    assert_int_equal(row, 6561);
    qwen2_lm_task(V2, &t, &row);
    assert_int_equal(t, QWEN2_LM_LLM_EMBEDDING);
    assert_int_equal(row, 1);
    assert_null(qwen2_lm_row(V3, QWEN2_LM_LLM_EMBEDDING, 0));
    assert_null(qwen2_lm_row(V2, QWEN2_LM_SPEECH, 6564));
    assert_null(qwen2_lm_row(V2, QWEN2_LM_TEXT, 1024));
}

typedef struct collect {
    int32_t tok[4096];
    int n, stop_after;
    float first_row_eos;
    int rows;
} collect;

static bool on_token(void *u, int32_t t)
{
    collect *c = u;
    if (c->n < 4096) c->tok[c->n] = t;
    c->n++;
    return c->stop_after == 0 || c->n < c->stop_after;
}

static void on_logp(void *u, int step, const float *logp, int n)
{
    collect *c = u;
    (void)n;
    if (step == 0) c->first_row_eos = logp[6561];
    c->rows++;
}

static const int32_t TEXT[] = {11, 200, 33, 700, 5, 61, 900, 4};

static void test_input_errors(void **state)
{
    (void)state;
    llm_decode_options o = llm_decode_defaults();
    int32_t *tok = (int32_t *)1;
    int n = 7;
    qwen2_lm_input in = {.text = TEXT, .n_text = 0};
    assert_int_equal(qwen2_lm_generate(V2, &in, &o, &tok, &n).code, CV_INVALID_ARGUMENT);
    assert_null(tok);
    assert_int_equal(n, 0);
    in.n_text = 2;
    in.text = (int32_t[]){3, 1024}; /* the tiny vocabulary has 1024 ids */
    assert_int_equal(qwen2_lm_generate(V2, &in, &o, &tok, &n).code, CV_INVALID_ARGUMENT);
    in.text = TEXT;
    in.prompt_speech = (int32_t[]){6561};
    in.n_prompt_speech = 1;
    assert_int_equal(qwen2_lm_generate(V2, &in, &o, &tok, &n).code, CV_INVALID_ARGUMENT);
    in.prompt_speech = NULL, in.n_prompt_speech = 0;
    o.forced = (int32_t[]){6564};
    o.n_forced = 1;
    assert_int_equal(qwen2_lm_generate(V2, &in, &o, &tok, &n).code, CV_INVALID_ARGUMENT);
    /* CosyVoice3 needs <|endofprompt|> somewhere in prompt text or text */
    o = llm_decode_defaults();
    cv_status s = qwen2_lm_generate(V3, &in, &o, &tok, &n);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "<|endofprompt|>"));
    in.prompt_text = (int32_t[]){CV3_ENDOFPROMPT_ID};
    in.n_prompt_text = 1;
    o.mode = LLM_SAMPLE_GREEDY;
    assert_int_equal(qwen2_lm_generate(V3, &in, &o, &tok, &n).code, CV_OK);
    assert_true(n > 0);
    free(tok);
}

/* The masked id: eos for v2, sos for v3, -inf while step < min_len only. */
static void test_min_len_mask(void **state)
{
    (void)state;
    collect c = {0};
    llm_decode_options o = llm_decode_defaults();
    o.mode = LLM_SAMPLE_GREEDY;
    o.on_logp = on_logp;
    o.user = &c;
    qwen2_lm_input in = {.text = TEXT, .n_text = 2};
    int32_t *tok;
    int n;
    assert_int_equal(qwen2_lm_generate(V2, &in, &o, &tok, &n).code, CV_OK);
    assert_true(isinf(c.first_row_eos) && c.first_row_eos < 0);
    free(tok);
    o.min_token_text_ratio = 0;
    c = (collect){0};
    assert_int_equal(qwen2_lm_generate(V2, &in, &o, &tok, &n).code, CV_OK);
    assert_true(isfinite(c.first_row_eos));
    assert_true(n <= 40);      /* max_len = 20 x 2 */
    assert_true(c.rows <= 40);
    free(tok);
}

static void generate_ras(const qwen2_lm *m, uint64_t seed, int threads, int32_t **tok, int *n)
{
    qwen2_lm_input in = {.text = TEXT, .n_text = 8};
    llm_decode_options o = llm_decode_defaults();
    o.seed = seed;
    o.n_threads = threads;
    assert_int_equal(qwen2_lm_generate(m, &in, &o, tok, n).code, CV_OK);
}

static void test_seeded_sampling(void **state)
{
    (void)state;
    int32_t *a, *b, *c;
    int na, nb, nc;
    generate_ras(V2, 7, 1, &a, &na);
    generate_ras(V2, 7, 2, &b, &nb);
    generate_ras(V2, 8, 1, &c, &nc);
    assert_true(na >= 16); /* min_len = 2 x 8 */
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, (size_t)na * sizeof *a);
    assert_false(na == nc && !memcmp(a, c, (size_t)na * sizeof *a));
    for (int i = 0; i < na; i++) assert_true(a[i] >= 0 && a[i] < 6561);
    free(a), free(b), free(c);
}

static void test_cancel_and_stop(void **state)
{
    (void)state;
    qwen2_lm_input in = {.text = TEXT, .n_text = 8};
    llm_decode_options o = llm_decode_defaults();
    collect c = {.stop_after = 3};
    o.on_token = on_token;
    o.user = &c;
    int32_t *tok;
    int n;
    assert_int_equal(qwen2_lm_generate(V2, &in, &o, &tok, &n).code, CV_OK);
    assert_int_equal(n, 3);
    assert_int_equal(c.n, 3);
    assert_memory_equal(tok, c.tok, 3 * sizeof *tok);
    free(tok);
    atomic_bool cancel = true;
    o = llm_decode_defaults();
    o.cancel = &cancel;
    assert_int_equal(qwen2_lm_generate(V2, &in, &o, &tok, &n).code, CV_CANCELLED);
    assert_int_equal(n, 0);
}

/* The stop poll is asked inside the prefill, between blocks of
 * LLM_PREFILL_CHUNK rows, not only before each token: at full size a long
 * prompt's prefill takes seconds, and a cancelled or expired call held its
 * slot through it (one qwen2_step over the whole prefix). */
static void test_stop_polled_in_prefill(void **state)
{
    (void)state;
    enum { NT = 2 * LLM_PREFILL_CHUNK + 10 };
    int32_t text[NT];
    for (int i = 0; i < NT; i++) text[i] = (int32_t)((i * 37) % 1000);
    qwen2_lm_input in = {.text = text, .n_text = NT};
    collect c = {0};
    llm_decode_options o = llm_decode_defaults();
    o.on_token = on_token;
    o.user = &c;
    int32_t *tok = NULL;
    int n = 0;
    /* the step poll, then one between each of the prefix's three blocks */
    for (int at = 1; at <= 3; at++) {
        poll_count p = {.stop_at = at};
        o.stop = &(cv_stop){stop_at, &p};
        assert_int_equal(qwen2_lm_generate(V2, &in, &o, &tok, &n).code, CV_CANCELLED);
        assert_int_equal(n, 0);
        assert_int_equal(c.n, 0);
        assert_int_equal(p.calls, at);
    }
    /* never requested: decodes as usual, polled before every token */
    poll_count never = {.stop_at = 1 << 30};
    o.stop = &(cv_stop){stop_at, &never};
    o.max_token_text_ratio = 3.5f / NT; /* int(3.5): 3 tokens */
    assert_int_equal(qwen2_lm_generate(V2, &in, &o, &tok, &n).code, CV_OK);
    assert_int_equal(n, 3);
    assert_int_equal(never.calls, 3 + 2);
    free(tok);
}

static void test_int8(void **state)
{
    (void)state;
    char dir[4096];
    src_path(dir, sizeof dir, V2_DIR);
    qwen2_lm *m = NULL;
    assert_int_equal(cv2_llm_open(dir, Y2, NULL, &m).code, CV_OK);
    assert_int_equal(qwen2_lm_quantize(m).code, CV_OK);
    assert_int_equal(qwen2_lm_quantize(m).code, CV_OK); /* twice is harmless */
    int32_t *tok;
    int n;
    generate_ras(m, 7, 2, &tok, &n);
    assert_true(n >= 16);
    for (int i = 0; i < n; i++) assert_true(tok[i] >= 0 && tok[i] < 6561);
    free(tok);
    qwen2_lm_free(m);
}

static void test_v3_system_prompt(void **state)
{
    (void)state;
    char dir[4096];
    src_path(dir, sizeof dir, V3_DIR);
    bpe_tokenizer *tok = NULL;
    assert_int_equal(cv_text_tokenizer_load(dir, CV_FAMILY_V3, NULL, &tok).code, CV_OK);
    const char *p = cv3_llm_system_prompt();
    int32_t *sys;
    size_t n_sys;
    assert_int_equal(bpe_encode(tok, p, strlen(p), &sys, &n_sys).code, CV_OK);
    assert_int_equal(sys[n_sys - 1], CV3_ENDOFPROMPT_ID);
    int32_t ids[] = {100, 200, 300}, *out;
    int n;
    assert_int_equal(cv3_llm_with_system_prompt(tok, ids, 3, &out, &n).code, CV_OK);
    assert_int_equal(n, (int)n_sys + 3);
    assert_memory_equal(out, sys, n_sys * sizeof *sys);
    assert_memory_equal(out + n_sys, ids, sizeof ids);
    assert_true(cv3_llm_has_endofprompt(out, n));
    int32_t *again;
    int n2;
    assert_int_equal(cv3_llm_with_system_prompt(tok, out, n, &again, &n2).code, CV_OK);
    assert_int_equal(n2, n); /* already there: unchanged */
    assert_memory_equal(again, out, (size_t)n * sizeof *out);
    free(again), free(out), free(sys);
    assert_int_equal(cv3_llm_with_system_prompt(tok, NULL, 0, &out, &n).code, CV_OK);
    assert_int_equal(n, (int)n_sys);
    free(out);
    bpe_tokenizer_free(tok);
}

static void test_silent_filter(void **state)
{
    (void)state;
    const int32_t in[] = {5, 2, 2, 2, 1, 28, 29, 55, 248, 7, 2, 2, 2, 2, 2, 2, 2, 2323};
    const int32_t want[] = {5, 2, 2, 2, 1, 28, 7, 2, 2, 2, 2, 2};
    cv3_silent_filter f = {0};
    int32_t got[32];
    int n = 0;
    for (size_t i = 0; i < sizeof in / sizeof *in; i++)
        if (cv3_silent_filter_keep(&f, in[i])) got[n++] = in[i];
    assert_int_equal(n, (int)(sizeof want / sizeof *want));
    assert_memory_equal(got, want, sizeof want);
}

/* ---- bistream ------------------------------------------------------------- */

typedef struct steps {
    int n, kind[512], fed[512];
    int32_t id[512];
    qwen2_lm_fed first[512];
} steps;

static void on_step(void *user, int step, qwen2_lm_step_kind kind, int32_t id,
                    const qwen2_lm_fed *fed, int n_fed)
{
    steps *s = user;
    if (step >= 512) return;
    s->kind[step] = (int)kind, s->id[step] = id, s->fed[step] = n_fed, s->first[step] = fed[0];
    s->n = step + 1;
}

/* A stop id chosen while text is coming (the reference raises) is taken as
 * a fill: not emitted, and the next 5 text ids replace the input. */
static void test_bistream_stop_as_fill(void **state)
{
    (void)state;
    int32_t forced[64];
    for (int i = 0; i < 64; i++) forced[i] = -1;
    forced[3] = 6562;
    llm_decode_options o = llm_decode_defaults();
    o.mode = LLM_SAMPLE_GREEDY;
    o.forced = forced;
    o.n_forced = 64;
    steps s = {0};
    qwen2_lm_bistream_trace trace = {.on_step = on_step, .user = &s};
    qwen2_lm_bistream *b;
    assert_int_equal(qwen2_lm_bistream_new(V2, NULL, 0, NULL, 0, &o, &trace, &b).code, CV_OK);
    for (int i = 0; i < 8; i++) assert_int_equal(qwen2_lm_bistream_feed(b, TEXT + i, 1).code, CV_OK);
    /* step 0 fed sos + 5 text; steps 1-3 one speech token; step 3 chose 6562 */
    assert_int_equal(s.fed[0], 6);
    assert_int_equal(s.id[3], 6562);
    assert_int_equal(s.kind[3], QWEN2_LM_STEP_TEXT);
    int n;
    const int32_t *tok = qwen2_lm_bistream_tokens(b, &n);
    assert_int_equal(n, 3);
    for (int i = 0; i < n; i++) assert_true(tok[i] < 6561);
    for (int i = 8; i < 10; i++) assert_int_equal(qwen2_lm_bistream_feed(b, TEXT + i - 8, 1).code, CV_OK);
    /* 5 more text ids (3 cached + 2) started the next run, replacing the input */
    assert_int_equal(s.fed[4], 5);
    assert_int_equal(s.first[4].table, QWEN2_LM_TEXT);
    assert_int_equal(qwen2_lm_bistream_finish(b).code, CV_OK);
    assert_int_equal(s.kind[s.n - 1], QWEN2_LM_STEP_FINAL);
    qwen2_lm_bistream_free(b);
}

/* The final phase stops after int(20 x text ids) tokens if eos never comes
 * (the reference would not stop). */
static void test_bistream_final_limit(void **state)
{
    (void)state;
    int32_t forced[200];
    for (int i = 0; i < 200; i++) forced[i] = 17;
    llm_decode_options o = llm_decode_defaults();
    o.forced = forced;
    o.n_forced = 200;
    qwen2_lm_bistream *b;
    assert_int_equal(qwen2_lm_bistream_new(V2, NULL, 0, NULL, 0, &o, NULL, &b).code, CV_OK);
    assert_int_equal(qwen2_lm_bistream_feed(b, TEXT, 3).code, CV_OK); /* fewer than 5: waits */
    int n;
    qwen2_lm_bistream_tokens(b, &n);
    assert_int_equal(n, 0);
    assert_int_equal(qwen2_lm_bistream_finish(b).code, CV_OK);
    qwen2_lm_bistream_tokens(b, &n);
    assert_int_equal(n, 60);
    /* finished: more calls do nothing */
    assert_int_equal(qwen2_lm_bistream_feed(b, TEXT, 5).code, CV_OK);
    assert_int_equal(qwen2_lm_bistream_finish(b).code, CV_OK);
    qwen2_lm_bistream_tokens(b, &n);
    assert_int_equal(n, 60);
    qwen2_lm_bistream_free(b);
}

/* CosyVoice3: the prompt text up to <|endofprompt|> is fed with sos; without
 * prompt speech the first run waits for 5 text ids, as for v2. */
static void test_bistream_v3_start(void **state)
{
    (void)state;
    llm_decode_options o = llm_decode_defaults();
    o.mode = LLM_SAMPLE_GREEDY;
    steps s = {0};
    qwen2_lm_bistream_trace trace = {.on_step = on_step, .user = &s};
    qwen2_lm_bistream *b;
    int32_t instr[] = {9707, 1879, CV3_ENDOFPROMPT_ID, 300};
    assert_int_equal(qwen2_lm_bistream_new(V3, instr, 2, NULL, 0, &o, &trace, &b).code,
                     CV_INVALID_ARGUMENT); /* no <|endofprompt|> */
    assert_int_equal(qwen2_lm_bistream_new(V3, instr, 4, NULL, 0, &o, &trace, &b).code, CV_OK);
    int32_t text[] = {100, 101, 102, 103, 104};
    assert_int_equal(qwen2_lm_bistream_feed(b, text, 3).code, CV_OK);
    assert_int_equal(s.n, 0); /* 300 + 3 ids cached: waiting */
    assert_int_equal(qwen2_lm_bistream_feed(b, text + 3, 1).code, CV_OK);
    assert_true(s.n > 0);
    /* sos + the instruction with its <|endofprompt|> + 300 and 4 text ids */
    assert_int_equal(s.fed[0], 1 + 3 + 5);
    assert_int_equal(s.first[0].table, QWEN2_LM_SPEECH);
    assert_int_equal(s.first[0].row, 6561);
    assert_int_equal(qwen2_lm_bistream_finish(b).code, CV_OK);
    int n;
    const int32_t *tok = qwen2_lm_bistream_tokens(b, &n);
    for (int i = 0; i < n; i++) assert_true(tok[i] < 6561);
    qwen2_lm_bistream_free(b);
}

static void test_bistream_errors(void **state)
{
    (void)state;
    llm_decode_options o = llm_decode_defaults();
    qwen2_lm_bistream *b;
    assert_int_equal(qwen2_lm_bistream_new(V2, (int32_t[]){5000}, 1, NULL, 0, &o, NULL, &b).code,
                     CV_INVALID_ARGUMENT);
    assert_int_equal(qwen2_lm_bistream_new(V2, NULL, 0, (int32_t[]){7000}, 1, &o, NULL, &b).code,
                     CV_INVALID_ARGUMENT);
    assert_int_equal(qwen2_lm_bistream_new(V2, NULL, 0, NULL, 0, &o, NULL, &b).code, CV_OK);
    assert_int_equal(qwen2_lm_bistream_feed(b, (int32_t[]){2000}, 1).code, CV_INVALID_ARGUMENT);
    /* the error sticks */
    assert_int_equal(qwen2_lm_bistream_feed(b, TEXT, 1).code, CV_INVALID_ARGUMENT);
    assert_int_equal(qwen2_lm_bistream_finish(b).code, CV_INVALID_ARGUMENT);
    qwen2_lm_bistream_free(b);
    /* cancelled, and stopped by on_token */
    atomic_bool cancel = true;
    o.cancel = &cancel;
    assert_int_equal(qwen2_lm_bistream_new(V2, NULL, 0, NULL, 0, &o, NULL, &b).code, CV_OK);
    assert_int_equal(qwen2_lm_bistream_feed(b, TEXT, 8).code, CV_CANCELLED);
    qwen2_lm_bistream_free(b);
    collect c = {.stop_after = 2};
    o = llm_decode_defaults();
    o.on_token = on_token;
    o.user = &c;
    assert_int_equal(qwen2_lm_bistream_new(V2, NULL, 0, NULL, 0, &o, NULL, &b).code, CV_OK);
    assert_int_equal(qwen2_lm_bistream_feed(b, TEXT, 8).code, CV_OK);
    assert_int_equal(qwen2_lm_bistream_feed(b, TEXT, 8).code, CV_OK);
    assert_int_equal(qwen2_lm_bistream_finish(b).code, CV_OK);
    int n;
    qwen2_lm_bistream_tokens(b, &n);
    assert_int_equal(n, 2);
    assert_int_equal(c.n, 2);
    qwen2_lm_bistream_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_incremental_equals_whole),
        cmocka_unit_test(test_max_positions),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_input_errors),
        cmocka_unit_test(test_min_len_mask),
        cmocka_unit_test(test_seeded_sampling),
        cmocka_unit_test(test_cancel_and_stop),
        cmocka_unit_test(test_stop_polled_in_prefill),
        cmocka_unit_test(test_int8),
        cmocka_unit_test(test_v3_system_prompt),
        cmocka_unit_test(test_silent_filter),
        cmocka_unit_test(test_bistream_stop_as_fill),
        cmocka_unit_test(test_bistream_final_limit),
        cmocka_unit_test(test_bistream_v3_start),
        cmocka_unit_test(test_bistream_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
