/* Unit tests for the speaker table (model/io/spk2info.h) and the .pt writer
 * under it: a saved voice and an SFT speaker written and read back exactly;
 * the golden spk2info.pt (written by torch) read as SFT speakers and kept
 * intact when a voice is added; the writer's shared tensors and int32
 * storages; bad layouts refused with the speaker and key named; several
 * files in one table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/io/pt_load.h"
#include "model/io/pt_write.h"
#include "model/io/spk2info.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/cv_spk_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static const char *tmp(const char *name)
{
    static char path[2][128];
    static int k;
    k ^= 1;
    snprintf(path[k], sizeof path[k], "%s/%s", g_dir, name);
    return path[k];
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"a.pt", "b.pt", "bad.pt", "golden.pt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unlink(tmp(names[i]));
    rmdir(g_dir);
    return 0;
}

static const char *golden_spk2info(void)
{
    static char path[1024];
    const char *root = getenv("CV_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/data/golden/cosyvoice-v1-tiny/spk2info.pt", root ? root : ".");
    return path;
}

/* A voice with recognisable values. */
static void make(const char *name, int n_tokens, int frames, spk_voice *v)
{
    int32_t text[3] = {151646, 7, 65535 + 9}, tokens[100];
    float feat[200 * 4], emb[8];
    for (int i = 0; i < n_tokens; i++) tokens[i] = (i * 97) % 6561;
    for (int i = 0; i < frames * 4; i++) feat[i] = (float)i * 0.25f - 3;
    for (int i = 0; i < 8; i++) emb[i] = 1.0f / (float)(i + 1);
    assert_int_equal(spk_voice_make(name, text, 3, tokens, n_tokens, feat, frames, 4, emb, 8, v).code,
                     CV_OK);
}

static void expect_same(const spk_voice *a, const spk_voice *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->has_prompt, b->has_prompt);
    assert_int_equal(a->n_prompt_text, b->n_prompt_text);
    assert_memory_equal(a->prompt_text, b->prompt_text, sizeof(int32_t) * (size_t)a->n_prompt_text);
    assert_int_equal(a->n_llm_tokens, b->n_llm_tokens);
    assert_int_equal(a->n_flow_tokens, b->n_flow_tokens);
    assert_memory_equal(a->flow_tokens, b->flow_tokens, sizeof(int32_t) * (size_t)a->n_flow_tokens);
    assert_memory_equal(a->llm_tokens, b->llm_tokens, sizeof(int32_t) * (size_t)a->n_llm_tokens);
    assert_int_equal(a->feat_frames, b->feat_frames);
    assert_int_equal(a->feat_dim, b->feat_dim);
    assert_memory_equal(a->prompt_feat, b->prompt_feat, sizeof(float) * (size_t)a->feat_frames * a->feat_dim);
    assert_int_equal(a->prompt_embedding_dim, b->prompt_embedding_dim);
    assert_memory_equal(a->flow_embedding, b->flow_embedding, sizeof(float) * (size_t)a->prompt_embedding_dim);
    assert_memory_equal(a->llm_embedding, b->llm_embedding, sizeof(float) * (size_t)a->prompt_embedding_dim);
    assert_int_equal(!a->embedding, !b->embedding);
    if (a->embedding) {
        assert_int_equal(a->embedding_dim, b->embedding_dim);
        assert_memory_equal(a->embedding, b->embedding, sizeof(float) * (size_t)a->embedding_dim);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    spk_table t = {0};
    spk_voice v;
    make("声音 one", 37, 74, &v);
    assert_int_equal(spk_table_put(&t, &v, false).code, CV_OK);
    assert_null(v.name); /* moved */
    make("dotted.name", 5, 10, &v);
    assert_int_equal(spk_table_put(&t, &v, false).code, CV_OK);
    spk_voice sft = {.name = strdup("sft"), .embedding = calloc(8, sizeof(float)), .embedding_dim = 8};
    sft.embedding[3] = 0.5f;
    assert_int_equal(spk_table_put(&t, &sft, false).code, CV_OK);
    make("sft", 5, 10, &v);
    assert_int_equal(spk_table_put(&t, &v, false).code, CV_ALREADY_EXISTS);
    spk_voice_free(&v);
    assert_int_equal(spk_table_save(&t, tmp("a.pt")).code, CV_OK);

    spk_table back = {0};
    cv_status st = spk_table_load(&back, tmp("a.pt"));
    if (!cv_is_ok(&st)) fail_msg("%s", st.message);
    assert_int_equal(back.count, 3);
    for (size_t i = 0; i < 3; i++) expect_same(&t.items[i], &back.items[i]);
    assert_string_equal(back.items[0].source, tmp("a.pt"));
    assert_false(back.items[2].has_prompt);

    /* the raw file: the reference's keys, int32 ids and lengths, the LM's
     * and the flow's tokens and embedding one tensor each */
    pt_dict d;
    assert_int_equal(pt_load(tmp("a.pt"), &d).code, CV_OK);
    const pt_tensor *tok = pt_find(&d, "声音 one.llm_prompt_speech_token");
    const pt_tensor *len = pt_find(&d, "声音 one.prompt_speech_feat_len");
    const pt_tensor *feat = pt_find(&d, "声音 one.prompt_speech_feat");
    assert_non_null(tok);
    assert_non_null(len);
    assert_non_null(feat);
    assert_int_equal(tok->dtype, PT_I32);
    assert_int_equal(tok->ndim, 2);
    assert_int_equal(tok->shape[1], 37);
    assert_int_equal(len->dtype, PT_I32);
    assert_int_equal(len->idata[0], 74);
    assert_int_equal(feat->dtype, PT_F32);
    assert_int_equal(feat->ndim, 3);
    assert_int_equal(feat->shape[1], 74);
    assert_int_equal(pt_find(&d, "声音 one.prompt_text")->idata[2], 65535 + 9);
    assert_non_null(pt_find(&d, "声音 one.flow_prompt_speech_token_len"));
    assert_int_equal(d.count, 10 + 10 + 1);
    pt_free(&d);

    assert_true(spk_table_remove(&back, "dotted.name"));
    assert_false(spk_table_remove(&back, "dotted.name"));
    assert_null(spk_table_find(&back, "dotted.name"));
    assert_non_null(spk_table_find(&back, "sft"));
    spk_table_free(&back);
    spk_table_free(&t);
}

/* The golden file was written by torch.save: SFT speakers. Adding a voice
 * and saving keeps them bit for bit. */
static void test_golden_kept(void **state)
{
    (void)state;
    spk_table t = {0};
    cv_status st = spk_table_load(&t, golden_spk2info());
    if (!cv_is_ok(&st)) fail_msg("%s", st.message);
    assert_true(t.count >= 1);
    const size_t n = t.count;
    for (size_t i = 0; i < n; i++) {
        assert_non_null(t.items[i].embedding);
        assert_int_equal(t.items[i].embedding_dim, 192);
        assert_false(t.items[i].has_prompt);
    }
    spk_voice v;
    make("added", 12, 24, &v);
    assert_int_equal(spk_table_put(&t, &v, false).code, CV_OK);
    assert_int_equal(spk_table_save(&t, tmp("golden.pt")).code, CV_OK);
    spk_table back = {0}, orig = {0};
    assert_int_equal(spk_table_load(&back, tmp("golden.pt")).code, CV_OK);
    assert_int_equal(spk_table_load(&orig, golden_spk2info()).code, CV_OK);
    assert_int_equal(back.count, n + 1);
    for (size_t i = 0; i < n; i++) expect_same(&orig.items[i], &back.items[i]);
    expect_same(&t.items[n], &back.items[n]);
    spk_table_free(&orig);
    spk_table_free(&back);
    spk_table_free(&t);
}

/* Two files in one table; a name in both is refused with both named; a
 * missing optional file is skipped. */
static void test_several_files(void **state)
{
    (void)state;
    spk_table a = {0};
    spk_voice v;
    make("user voice", 4, 8, &v);
    assert_int_equal(spk_table_put(&a, &v, false).code, CV_OK);
    assert_int_equal(spk_table_save(&a, tmp("b.pt")).code, CV_OK);
    spk_table_free(&a);

    const char *paths[3] = {golden_spk2info(), "/nonexistent/spk2info.pt", tmp("b.pt")};
    const bool optional[3] = {false, true, false};
    spk_table t = {0};
    cv_status st = spk_table_load_files(&t, paths, optional, 3);
    if (!cv_is_ok(&st)) fail_msg("%s", st.message);
    const spk_voice *u = spk_table_find(&t, "user voice");
    assert_non_null(u);
    assert_string_equal(u->source, tmp("b.pt"));
    spk_table_free(&t);

    const char *twice[2] = {tmp("b.pt"), tmp("b.pt")};
    st = spk_table_load_files(&t, twice, NULL, 2);
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "'user voice' is in both"));
    assert_int_equal(t.count, 0);
    const bool required[1] = {false};
    st = spk_table_load_files(&t, paths + 1, required, 1);
    assert_int_equal(st.code, CV_NOT_FOUND);
}

/* Writes a one-speaker file whose entry is made by `fill`. */
static void write_entry(void (*fill)(pt_writer *w, const void *ctx), const void *ctx)
{
    pt_writer *w = pt_writer_new();
    pt_writer_dict_begin(w, false);
    pt_writer_key(w, "spk");
    pt_writer_dict_begin(w, false);
    fill(w, ctx);
    pt_writer_dict_end(w);
    pt_writer_dict_end(w);
    cv_status st = pt_writer_save(w, tmp("bad.pt"));
    if (!cv_is_ok(&st)) fail_msg("%s", st.message);
    pt_writer_free(w);
}

static const int32_t TOK[4] = {1, 2, 3, 4};
static const int32_t LEN_WRONG = 3, LEN_RIGHT = 4;
static const float FEAT[8 * 2] = {0}, EMB[3] = {1, 2, 3};

static void voice_fields(pt_writer *w, const void *ctx)
{
    const int *which = ctx; /* 0: len mismatch, 1: no flow_embedding, 2: float tokens */
    pt_writer_key(w, "flow_prompt_speech_token");
    if (*which == 2) pt_writer_tensor(w, PT_F32, 2, (int64_t[]){1, 4}, FEAT);
    else pt_writer_tensor(w, PT_I32, 2, (int64_t[]){1, 4}, TOK);
    pt_writer_key(w, "flow_prompt_speech_token_len");
    pt_writer_tensor(w, PT_I32, 1, (int64_t[]){1}, *which == 0 ? &LEN_WRONG : &LEN_RIGHT);
    pt_writer_key(w, "prompt_speech_feat");
    pt_writer_tensor(w, PT_F32, 3, (int64_t[]){1, 8, 2}, FEAT);
    if (*which != 1) {
        pt_writer_key(w, "flow_embedding");
        pt_writer_tensor(w, PT_F32, 2, (int64_t[]){1, 3}, EMB);
    }
}

static void only_extra(pt_writer *w, const void *ctx)
{
    (void)ctx;
    pt_writer_key(w, "speech_feat");
    pt_writer_tensor(w, PT_F32, 1, (int64_t[]){3}, EMB);
}

static void expect_refused(const char *needle)
{
    spk_table t = {0};
    cv_status st = spk_table_load(&t, tmp("bad.pt"));
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    if (!strstr(st.message, needle) || !strstr(st.message, "'spk'"))
        fail_msg("message '%s' lacks '%s'", st.message, needle);
    spk_table_free(&t);
}

static void test_bad_layouts(void **state)
{
    (void)state;
    int which = 0;
    write_entry(voice_fields, &which);
    expect_refused("flow_prompt_speech_token_len says 3");
    which = 1;
    write_entry(voice_fields, &which);
    expect_refused("without flow_embedding");
    which = 2;
    write_entry(voice_fields, &which);
    expect_refused("not an integer [1, N] tensor");
    write_entry(only_extra, NULL);
    expect_refused("has neither 'embedding'");
    /* a complete voice with an extra tensor loads, and keeps it */
    which = 3;
    write_entry(voice_fields, &which);
    spk_table t = {0};
    assert_int_equal(spk_table_load(&t, tmp("bad.pt")).code, CV_OK);
    assert_int_equal(t.items[0].n_flow_tokens, 4);
    assert_int_equal(t.items[0].n_llm_tokens, 0);
    assert_null(t.items[0].llm_embedding);
    spk_table_free(&t);
}

/* Writer misuse is reported at save, not written. */
static void test_writer_misuse(void **state)
{
    (void)state;
    pt_writer *w = pt_writer_new();
    pt_writer_dict_begin(w, true);
    pt_writer_tensor(w, PT_F32, 1, (int64_t[]){3}, EMB); /* no key */
    pt_writer_dict_end(w);
    cv_status st = pt_writer_save(w, tmp("bad.pt"));
    assert_int_equal(st.code, CV_INTERNAL);
    assert_non_null(strstr(st.message, "without a key"));
    pt_writer_free(w);

    w = pt_writer_new();
    pt_writer_dict_begin(w, false);
    pt_writer_key(w, "x");
    pt_writer_same(w, 5);
    pt_writer_dict_end(w);
    st = pt_writer_save(w, tmp("bad.pt"));
    assert_non_null(strstr(st.message, "no tensor with handle 5"));
    pt_writer_free(w);

    w = pt_writer_new();
    pt_writer_dict_begin(w, false);
    st = pt_writer_save(w, tmp("bad.pt"));
    assert_non_null(strstr(st.message, "not closed"));
    pt_writer_free(w);

    /* an empty table is a valid, empty file */
    spk_table t = {0};
    assert_int_equal(spk_table_save(&t, tmp("bad.pt")).code, CV_OK);
    assert_int_equal(spk_table_load(&t, tmp("bad.pt")).code, CV_OK);
    assert_int_equal(t.count, 0);
    spk_table_free(&t);
    /* an unwritable place is a clear error */
    st = spk_table_save(&t, "/nonexistent-dir/spk2info.pt");
    assert_int_not_equal(st.code, CV_OK);
    assert_non_null(strstr(st.message, "/nonexistent-dir/spk2info.pt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_golden_kept),
        cmocka_unit_test(test_several_files),
        cmocka_unit_test(test_bad_layouts),
        cmocka_unit_test(test_writer_misuse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
