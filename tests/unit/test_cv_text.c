/* The cosyvoice engine's text side (engine/cosyvoice/cv_text): sentences
 * merged into segments by the reference's split_paragraph rule (close a
 * segment past 80 units once it has more than 60; a last one under 20 joins
 * the previous), verbatim text with special tokens, punctuation-only pieces
 * dropped, and the instruction's end-of-prompt marker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/utf8.h"
#include "engine/cosyvoice/cv_text.h"

static bpe_tokenizer *TOK;

static int setup(void **state)
{
    (void)state;
    const char *env = getenv("CV_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/assets/%s", env ? env : ".", BPE_VOCAB_FILENAME);
    cv_status st;
    TOK = bpe_tokenizer_load(path, &st);
    return TOK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    bpe_tokenizer_free(TOK);
    return 0;
}

static int n_tokens(const char *s)
{
    int32_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(bpe_encode(TOK, s, strlen(s), &ids, &n).code, CV_OK);
    free(ids);
    return (int)n;
}

static void test_english_merge_rule(void **state)
{
    (void)state;
    /* 12 sentences of ~12 tokens: segments must be closed past 60 tokens */
    char text[4096] = "";
    for (int i = 0; i < 12; i++)
        strcat(text, "The farmer walks slowly to the old barn near the river. ");
    cv_text_segments s;
    assert_int_equal(cv_text_segments_make(TOK, text, &s).code, CV_OK);
    assert_true(s.count >= 2);
    for (int i = 0; i < s.count; i++) {
        int u = n_tokens(s.items[i].text);
        assert_int_equal(u, s.items[i].n_ids);
        if (i + 1 < s.count) assert_true(u > CV_SEG_MIN_UNITS); /* closed only past 60 */
        assert_true(u <= CV_SEG_MAX_UNITS + 14);               /* one sentence past 80 at most */
    }
    cv_text_segments_free(&s);
}

static void test_short_tail_joins_previous(void **state)
{
    (void)state;
    /* 7 sentences of ~12 tokens: the 7th starts a new segment (72 > 60 and
     * 84 > 80), which with "Yes." stays under 20 tokens, so it joins the first */
    char text[4096] = "";
    for (int i = 0; i < 7; i++)
        strcat(text, "The farmer walks slowly to the old barn near the river. ");
    strcat(text, "Yes.");
    cv_text_segments s;
    assert_int_equal(cv_text_segments_make(TOK, text, &s).code, CV_OK);
    assert_int_equal(s.count, 1);
    const char *last = s.items[s.count - 1].text;
    assert_non_null(strstr(last, "Yes"));
    assert_true(n_tokens(last) > CV_SEG_MAX_UNITS); /* the short tail was merged back */
    cv_text_segments_free(&s);
}

static void test_chinese_counts_characters(void **state)
{
    (void)state;
    char text[4096] = "";
    for (int i = 0; i < 8; i++) strcat(text, "今天天气很好，我们一起去公园散步吧。");
    cv_text_segments s;
    assert_int_equal(cv_text_segments_make(TOK, text, &s).code, CV_OK);
    assert_true(s.count >= 2);
    for (int i = 0; i + 1 < s.count; i++)
        assert_true(utf8_length(s.items[i].text, strlen(s.items[i].text)) > CV_SEG_MIN_UNITS);
    cv_text_segments_free(&s);
}

static void test_special_tokens_verbatim(void **state)
{
    (void)state;
    cv_text_segments s;
    assert_int_equal(cv_text_segments_make(TOK, "<|en|>Hello. World 123.", &s).code, CV_OK);
    assert_int_equal(s.count, 1);
    assert_string_equal(s.items[0].text, "<|en|>Hello. World 123.");
    assert_int_equal(s.items[0].ids[0], bpe_token_id(TOK, "<|en|>"));
    cv_text_segments_free(&s);
}

static void test_punctuation_only_dropped(void **state)
{
    (void)state;
    cv_text_segments s;
    assert_int_equal(cv_text_segments_make(TOK, "!!! ... ???", &s).code, CV_OK);
    assert_int_equal(s.count, 0);
    cv_text_segments_free(&s);
}

static void test_instruct_marker(void **state)
{
    (void)state;
    int32_t *a, *b, *c;
    int na, nb, nc;
    int marker = n_tokens("<|endofprompt|>");
    assert_true(marker > 1); /* not a Whisper special: plain text tokens */
    assert_int_equal(cv_instruct_tokens(TOK, "A calm narrator.", &a, &na).code, CV_OK);
    assert_int_equal(cv_instruct_tokens(TOK, "A calm narrator.<|endofprompt|>", &b, &nb).code,
                     CV_OK);
    /* appended when missing, not doubled when present */
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, (size_t)na * sizeof *a);
    assert_int_equal(na, n_tokens("A calm narrator.<|endofprompt|>"));
    /* the older marker is kept as written */
    assert_int_equal(cv_instruct_tokens(TOK, "A calm narrator.<endofprompt>", &c, &nc).code,
                     CV_OK);
    assert_int_equal(nc, n_tokens("A calm narrator.<endofprompt>"));
    free(a);
    free(b);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_english_merge_rule),
        cmocka_unit_test(test_short_tail_joins_previous),
        cmocka_unit_test(test_chinese_counts_characters),
        cmocka_unit_test(test_special_tokens_verbatim),
        cmocka_unit_test(test_punctuation_only_dropped),
        cmocka_unit_test(test_instruct_marker),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
