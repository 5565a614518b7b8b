/* Unit tests for the Whisper multilingual BPE tokenizer: the golden cases
 * computed by the reference, special tokens, decode round trips, the merge
 * order against a plain quadratic re-statement of tiktoken's algorithm,
 * input validation, vocabulary loading errors and concurrent use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/bpe_reference_merge.h"

#include "common/utf8.h"
#include "text/bpe_parity.h"
#include "text/bpe_tokenizer.h"

static bpe_tokenizer *TOK;
static char SRC[2048];

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
    char path[4096];
    src_path(path, sizeof path, "assets/" BPE_VOCAB_FILENAME);
    cv_status st;
    TOK = bpe_tokenizer_load(path, &st);
    if (!TOK) fprintf(stderr, "load failed: %s\n", st.message);
    return TOK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    bpe_tokenizer_free(TOK);
    return 0;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* Encodes, decodes, and checks the bytes come back unchanged. */
static void assert_round_trip(const char *s, size_t len)
{
    int32_t *ids;
    size_t n;
    cv_status st = bpe_encode(TOK, s, len, &ids, &n);
    assert_int_equal(st.code, CV_OK);
    char *back;
    size_t back_len;
    st = bpe_decode(TOK, ids, n, &back, &back_len);
    assert_int_equal(st.code, CV_OK);
    assert_int_equal(back_len, len);
    assert_memory_equal(back, s, len);
    free(back);
    free(ids);
}

static void test_golden_cases(void **state)
{
    (void)state;
    char json[4096];
    src_path(json, sizeof json, "tests/data/tokenizer-multilingual.json");
    size_t n = 0, failed = 0;
    cv_status st = bpe_check_cases(TOK, json, &n, &failed);
    assert_int_equal(st.code, CV_OK);
    assert_int_equal(n, 13);
    assert_int_equal(failed, 0);
}

/* More cases from tiktoken itself (see "source" in the file): random mixes of
 * scripts and whitespace, and U+180E, where PCRE2's \s differs from the
 * reference's. */
static void test_tiktoken_extra_cases(void **state)
{
    (void)state;
    char json[4096];
    src_path(json, sizeof json, "tests/data/tokenizer-tiktoken-extra.json");
    size_t n = 0, failed = 0;
    cv_status st = bpe_check_cases(TOK, json, &n, &failed);
    assert_int_equal(st.code, CV_OK);
    assert_int_equal(n, 516);
    assert_int_equal(failed, 0);
}

static char *write_temp(const char *content, size_t len)
{
    char *path = strdup("/tmp/cv_bpe_test_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

/* The checker must notice a wrong id and a vocabulary of the wrong size. */
static void test_checker_detects_mismatch(void **state)
{
    (void)state;
    const char *wrong =
        "{\"vocab_size_with_specials\": 51866, \"n_mergeable\": 50257, \"cases\": ["
        "{\"text\": \"Hello world\", \"ids\": [15947, 1002]},"
        "{\"text\": \"Hello world\", \"ids\": [15947, 1003]},"
        "{\"text\": \"Hello\", \"ids\": [15947, 1002]}]}";
    char *path = write_temp(wrong, strlen(wrong));
    size_t n, failed;
    cv_status st = bpe_check_cases(TOK, path, &n, &failed);
    assert_int_equal(st.code, CV_OK);
    assert_int_equal(n, 3);
    assert_int_equal(failed, 2);
    unlink(path);
    free(path);

    const char *sizes = "{\"vocab_size_with_specials\": 51865, \"cases\": []}";
    path = write_temp(sizes, strlen(sizes));
    st = bpe_check_cases(TOK, path, &n, &failed);
    assert_int_equal(st.code, CV_FAILED_PRECONDITION);
    unlink(path);
    free(path);
}

static void test_vocab_sizes(void **state)
{
    (void)state;
    assert_int_equal(bpe_vocab_size(TOK), 51866);
    assert_int_equal(bpe_mergeable_count(TOK), 50257);
    /* Every single byte is a token; "Hello" is one in GPT-2-derived vocabularies. */
    for (int b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        assert_true(bpe_token_rank(TOK, &byte, 1) >= 0);
    }
    assert_int_equal(bpe_token_rank(TOK, "Hello", 5), 15947);
    assert_int_equal(bpe_token_rank(TOK, "no such token at all", 20), -1);
}

static void test_special_ids(void **state)
{
    (void)state;
    /* Whisper's published ids for the 100-language vocabulary. */
    assert_int_equal(bpe_token_id(TOK, "<|endoftext|>"), 50257);
    assert_int_equal(bpe_token_id(TOK, "<|startoftranscript|>"), 50258);
    assert_int_equal(bpe_token_id(TOK, "<|en|>"), 50259);
    assert_int_equal(bpe_token_id(TOK, "<|zh|>"), 50260);
    assert_int_equal(bpe_token_id(TOK, "<|yue|>"), 50358);
    assert_int_equal(bpe_token_id(TOK, "<|translate|>"), 50359);
    assert_int_equal(bpe_token_id(TOK, "<|transcribe|>"), 50360);
    assert_int_equal(bpe_token_id(TOK, "<|startoflm|>"), 50361);
    assert_int_equal(bpe_token_id(TOK, "<|startofprev|>"), 50362);
    assert_int_equal(bpe_token_id(TOK, "<|nospeech|>"), 50363);
    assert_int_equal(bpe_token_id(TOK, "<|notimestamps|>"), 50364);
    assert_int_equal(bpe_token_id(TOK, "<|0.00|>"), 50365);
    assert_int_equal(bpe_token_id(TOK, "<|0.02|>"), 50366);
    assert_int_equal(bpe_token_id(TOK, "<|1.00|>"), 50365 + 50);
    assert_int_equal(bpe_token_id(TOK, "<|30.00|>"), 51865);
    assert_int_equal(bpe_token_id(TOK, "<|endofprompt|>"), -1);
    assert_int_equal(bpe_token_id(TOK, "<|30.02|>"), -1);
    assert_int_equal(bpe_token_id(TOK, "endoftext"), -1);
    assert_int_equal(bpe_token_id(TOK, ""), -1);
}

static void expect_ids(const char *text, const int32_t *want, size_t want_n)
{
    int32_t *ids;
    size_t n;
    assert_int_equal(bpe_encode(TOK, text, strlen(text), &ids, &n).code, CV_OK);
    assert_int_equal(n, want_n);
    for (size_t i = 0; i < n; i++) assert_int_equal(ids[i], want[i]);
    free(ids);
}

static void test_specials_in_text(void **state)
{
    (void)state;
    expect_ids("<|en|>", (int32_t[]){50259}, 1);
    expect_ids("<|en|><|zh|><|endoftext|>", (int32_t[]){50259, 50260, 50257}, 3);
    expect_ids("Hello<|endoftext|> world", (int32_t[]){15947, 50257, 1002}, 3);
    /* "<|" that does not start a special token is ordinary text: "<|<|en|>"
     * has the special token at its third byte. */
    int32_t *ids;
    size_t n;
    assert_int_equal(bpe_encode(TOK, "<|<|en|>", 8, &ids, &n).code, CV_OK);
    assert_true(n >= 2);
    assert_int_equal(ids[n - 1], 50259);
    for (size_t i = 0; i + 1 < n; i++) assert_true(ids[i] < 50257);
    free(ids);
    /* Unknown or unfinished markers stay text. */
    const char *plain[] = {"<|endofprompt|>", "<|en|", "<|en", "|>", "<||>", "<|en||>",
                           "<|EN|>", "<| en|>"};
    for (size_t k = 0; k < sizeof plain / sizeof *plain; k++) {
        assert_int_equal(bpe_encode(TOK, plain[k], strlen(plain[k]), &ids, &n).code, CV_OK);
        for (size_t i = 0; i < n; i++) assert_true(ids[i] < 50257);
        free(ids);
        assert_round_trip(plain[k], strlen(plain[k]));
    }
}

static void test_round_trip_texts(void **state)
{
    (void)state;
    const char *texts[] = {
        "Hello world",
        "你好，我是通义千问语音合成大模型。",
        "<|ja|>こんにちは、今日はいい天気ですね。",
        "  leading and trailing  \n\n  ",
        "tabs\tand\r\nnewlines\u2028and\u3000ideographic spaces",
        "numbers 1234567890 ١٢٣ and symbols !@#$%^&*()",
        "emoji 👩‍👩‍👧‍👦 🇫🇷 and combining e\u0301",
        "mongolian \u180e separator",
        "nul\0inside",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        assert_round_trip(texts[i], i == 8 ? 11 : strlen(texts[i]));
}

/* Random valid UTF-8 (all planes, no surrogates) survives encode + decode. */
static void test_round_trip_random(void **state)
{
    (void)state;
    char buf[4 * 200];
    for (int iter = 0; iter < 300; iter++) {
        size_t len = 0, count = next_rand() % 200;
        for (size_t k = 0; k < count; k++) {
            uint32_t cp, r = next_rand() % 8;
            if (r < 3) cp = next_rand() % 0x80;              /* ASCII-heavy, like text */
            else if (r < 6) cp = 0x80 + next_rand() % 0xFF80;  /* BMP */
            else cp = 0x10000 + next_rand() % 0x100000;       /* supplementary planes */
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = ' ';
            len += (size_t)utf8_encode(cp, buf + len);
        }
        assert_round_trip(buf, len);
    }
}

/* tiktoken's merge loop written out plainly: O(n^2) scan for the lowest
 * ranked adjacent pair, leftmost on ties. The tokenizer uses a heap. */
static int32_t token_rank(const void *ctx, const uint8_t *s, size_t len)
{
    return bpe_token_rank(ctx, s, len);
}

/* As tiktoken: a piece that is itself a token is taken whole. */
static size_t reference_merge(const uint8_t *p, size_t len, int32_t *out)
{
    int32_t whole = bpe_token_rank(TOK, p, len);
    if (whole >= 0) {
        out[0] = whole;
        return 1;
    }
    return bpe_reference_merge(token_rank, TOK, p, len, out);
}

/* Single-piece texts (a space and a run of letters) of up to 600 bytes, so
 * both the stack and the heap-allocated paths of the merge are covered. */
static void test_merge_matches_reference(void **state)
{
    (void)state;
    static const char *alphabets[] = {"abcdefghijklmnopqrstuvwxyz", "aeinst", "ab",
                                      "的一是在不了有和人这中大为上个国我以要他"};
    char text[700];
    int32_t want[700];
    for (int iter = 0; iter < 400; iter++) {
        const char *alpha = alphabets[iter % 4];
        size_t alen = strlen(alpha), len = 0, count = 1 + next_rand() % (iter % 4 == 3 ? 200 : 600);
        bool cjk = iter % 4 == 3;
        if (!cjk && next_rand() % 2) text[len++] = ' ';
        for (size_t k = 0; k < count; k++) {
            if (cjk) {
                size_t c = next_rand() % (alen / 3);
                memcpy(text + len, alpha + 3 * c, 3);
                len += 3;
            } else {
                text[len++] = alpha[next_rand() % alen];
            }
        }
        size_t want_n = reference_merge((const uint8_t *)text, len, want);
        int32_t *ids;
        size_t n;
        assert_int_equal(bpe_encode(TOK, text, len, &ids, &n).code, CV_OK);
        assert_int_equal(n, want_n);
        assert_memory_equal(ids, want, n * sizeof *ids);
        free(ids);
    }
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    const char *bad[] = {"\xff", "ab\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80",
                         "ok <|en|> \x80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int32_t *ids = (int32_t *)1;
        size_t n = 99;
        cv_status st = bpe_encode(TOK, bad[i], strlen(bad[i]), &ids, &n);
        assert_int_equal(st.code, CV_INVALID_ARGUMENT);
        assert_null(ids);
        assert_int_equal(n, 0);
    }
}

static void test_empty(void **state)
{
    (void)state;
    int32_t *ids = (int32_t *)1;
    size_t n = 99;
    assert_int_equal(bpe_encode(TOK, "", 0, &ids, &n).code, CV_OK);
    assert_null(ids);
    assert_int_equal(n, 0);
    char *out;
    size_t len;
    assert_int_equal(bpe_decode(TOK, NULL, 0, &out, &len).code, CV_OK);
    assert_int_equal(len, 0);
    assert_string_equal(out, "");
    free(out);
}

static void test_decode(void **state)
{
    (void)state;
    char *out;
    size_t len;
    int32_t ids[] = {50259, 15947, 1002, 50257};
    assert_int_equal(bpe_decode(TOK, ids, 4, &out, &len).code, CV_OK);
    assert_string_equal(out, "<|en|>Hello world<|endoftext|>");
    free(out);
    int32_t bad[][1] = {{-1}, {51866}, {INT32_MAX}};
    for (int i = 0; i < 3; i++) {
        cv_status st = bpe_decode(TOK, bad[i], 1, &out, &len);
        assert_int_equal(st.code, CV_INVALID_ARGUMENT);
        assert_null(out);
    }
}

/* Long runs of one class are single pieces: neither the regex engine nor the
 * merge may fail or take quadratic time on them. */
static void test_long_runs(void **state)
{
    (void)state;
    size_t len = 200000;
    char *s = malloc(len);
    const char fill[] = {' ', 'a', '7', '!', '\n'};
    for (size_t k = 0; k < sizeof fill; k++) {
        memset(s, fill[k], len);
        assert_round_trip(s, len);
    }
    free(s);
}

static void test_find_vocab(void **state)
{
    (void)state;
    char out[4096], dir[4096], file[4096];
    src_path(dir, sizeof dir, "assets");
    src_path(file, sizeof file, "assets/" BPE_VOCAB_FILENAME);

    assert_int_equal(bpe_tokenizer_find_vocab(NULL, file, out, sizeof out).code, CV_OK);
    assert_string_equal(out, file);
    /* A path the user named is not replaced by another file. */
    assert_int_equal(bpe_tokenizer_find_vocab(dir, "/nonexistent/x.tiktoken", out, sizeof out).code,
                     CV_NOT_FOUND);
    assert_int_equal(bpe_tokenizer_find_vocab(dir, dir, out, sizeof out).code, CV_NOT_FOUND);
    assert_int_equal(bpe_tokenizer_find_vocab(dir, NULL, out, sizeof out).code, CV_OK);
    assert_string_equal(out, file);
    /* A model directory without the file falls back to the installed or
     * source-tree copy. */
    assert_int_equal(bpe_tokenizer_find_vocab("/nonexistent", NULL, out, sizeof out).code, CV_OK);
    assert_non_null(strstr(out, "/" BPE_VOCAB_FILENAME));
    assert_int_equal(bpe_tokenizer_find_vocab(NULL, file, out, 8).code, CV_INVALID_ARGUMENT);
}

static void expect_load_error(const char *content, cv_code code)
{
    char *path = write_temp(content, strlen(content));
    cv_status st;
    bpe_tokenizer *t = bpe_tokenizer_load(path, &st);
    assert_null(t);
    assert_int_equal(st.code, code);
    unlink(path);
    free(path);
}

static void test_load_errors(void **state)
{
    (void)state;
    cv_status st;
    assert_null(bpe_tokenizer_load("/nonexistent/multilingual.tiktoken", &st));
    assert_int_equal(st.code, CV_NOT_FOUND);
    expect_load_error("", CV_INVALID_ARGUMENT);
    expect_load_error("not a vocabulary\n", CV_INVALID_ARGUMENT);
    expect_load_error("QQ== 0\nQg== 0\n", CV_INVALID_ARGUMENT);   /* rank twice */
    expect_load_error("QQ== 0\nQQ== 1\n", CV_INVALID_ARGUMENT);   /* bytes twice */
    expect_load_error("QQ== 0\nQg== 5\n", CV_INVALID_ARGUMENT);   /* rank gap */
    expect_load_error("QQ== 0\nQg== -1\n", CV_INVALID_ARGUMENT);
    expect_load_error("Q!== 0\n", CV_INVALID_ARGUMENT);           /* bad base64 */
    expect_load_error("QQ== 0\nQg== 1\n", CV_INVALID_ARGUMENT);   /* bytes missing */
}

/* A tiny but complete vocabulary: the 256 bytes plus "ab" and "abc". */
static void test_load_small_vocab(void **state)
{
    (void)state;
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t cap = 256 * 16 + 64, len = 0;
    char *content = malloc(cap);
    for (int b = 0; b < 256; b++)
        len += (size_t)snprintf(content + len, cap - len, "%c%c== %d\r\n", b64[b >> 2],
                                b64[(b & 3) << 4], b);
    len += (size_t)snprintf(content + len, cap - len, "\nYWI= 256\nYWJj 257\n");
    char *path = write_temp(content, len);
    free(content);
    cv_status st;
    bpe_tokenizer *t = bpe_tokenizer_load(path, &st);
    assert_non_null(t);
    assert_int_equal(bpe_mergeable_count(t), 258);
    assert_int_equal(bpe_vocab_size(t), 258 + 1609);
    assert_int_equal(bpe_token_id(t, "<|endoftext|>"), 258);
    int32_t *ids;
    size_t n;
    assert_int_equal(bpe_encode(t, "abcab", 5, &ids, &n).code, CV_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 257);
    assert_int_equal(ids[1], 256);
    free(ids);
    bpe_tokenizer_free(t);
    unlink(path);
    free(path);
}

typedef struct job {
    const char *text;
    int32_t *want;
    size_t want_n;
    int mismatches;
} job;

static void *encode_many(void *arg)
{
    job *j = arg;
    for (int i = 0; i < 200; i++) {
        int32_t *ids;
        size_t n;
        cv_status st = bpe_encode(TOK, j->text, strlen(j->text), &ids, &n);
        if (st.code != CV_OK || n != j->want_n || memcmp(ids, j->want, n * sizeof *ids))
            j->mismatches++;
        free(ids);
    }
    return NULL;
}

static void test_concurrent_encode(void **state)
{
    (void)state;
    const char *text = "<|en|>The same tokenizer serves every request thread. 同时。";
    job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){.text = text};
        assert_int_equal(bpe_encode(TOK, text, strlen(text), &jobs[i].want, &jobs[i].want_n).code,
                         CV_OK);
        assert_int_equal(pthread_create(&th[i], NULL, encode_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].mismatches, 0);
        free(jobs[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_cases),
        cmocka_unit_test(test_tiktoken_extra_cases),
        cmocka_unit_test(test_checker_detects_mismatch),
        cmocka_unit_test(test_vocab_sizes),
        cmocka_unit_test(test_special_ids),
        cmocka_unit_test(test_specials_in_text),
        cmocka_unit_test(test_round_trip_texts),
        cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_merge_matches_reference),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_long_runs),
        cmocka_unit_test(test_find_vocab),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_load_small_vocab),
        cmocka_unit_test(test_concurrent_encode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
