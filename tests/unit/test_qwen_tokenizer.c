/* Unit tests for the Qwen2 byte-level BPE of CosyVoice2 and 3 (the same BPE
 * code as Whisper's, with a merge list): the golden cases computed by the
 * reference for both families, the added tokens, NFC, the merge-list rule
 * (pairs not listed are never merged, all occurrences of the best pair are
 * merged at once) against a plain re-statement of transformers' loop, a
 * shortened merges.txt like the official CosyVoice2 one, tokenizer.json as
 * an alternative to vocab.json + merges.txt, and loading errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/bpe_reference_merge.h"

#include "common/utf8.h"
#include "model/frontend/text_tokenizer.h"
#include "text/bpe_bytelevel.h"
#include "text/bpe_merge.h"
#include "text/bpe_parity.h"
#include "text/bpe_tokenizer.h"
#include "text/bpe_vocab.h"
#include "text/cosyvoice_tokens.h"

#define V2_DIR "tests/data/golden/cosyvoice2-tiny"
#define V3_DIR "tests/data/golden/cosyvoice3-tiny"

static bpe_tokenizer *V2, *V3;
static char SRC[2048], TMP[64];

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
    char dir[4096];
    src_path(dir, sizeof dir, V2_DIR);
    cv_status st = cv_text_tokenizer_load(dir, CV_FAMILY_V2, NULL, &V2);
    if (cv_is_ok(&st)) {
        src_path(dir, sizeof dir, V3_DIR);
        st = cv_text_tokenizer_load(dir, CV_FAMILY_V3, NULL, &V3);
    }
    if (!cv_is_ok(&st)) fprintf(stderr, "load failed: %s\n", st.message);
    snprintf(TMP, sizeof TMP, "/tmp/cv_qwen_XXXXXX");
    return cv_is_ok(&st) && mkdtemp(TMP) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    bpe_tokenizer_free(V2);
    bpe_tokenizer_free(V3);
    rmdir(TMP);
    return 0;
}

static void write_file(const char *dir, const char *name, const char *content, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    fclose(f);
}

static void remove_files(const char *dir)
{
    static const char *const names[] = {"vocab.json", "merges.txt", "tokenizer_config.json",
                                        "tokenizer.json"};
    char path[4096];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
}

static void expect_ids(const bpe_tokenizer *t, const char *text, const int32_t *want,
                       size_t want_n)
{
    int32_t *ids;
    size_t n;
    assert_int_equal(bpe_encode(t, text, strlen(text), &ids, &n).code, CV_OK);
    assert_int_equal(n, want_n);
    for (size_t i = 0; i < n; i++) assert_int_equal(ids[i], want[i]);
    free(ids);
}

static void check_golden(const bpe_tokenizer *t, const char *rel, size_t cases)
{
    char json[4096];
    src_path(json, sizeof json, rel);
    size_t n = 0, failed = 0;
    cv_status st = bpe_check_cases(t, json, &n, &failed);
    assert_int_equal(st.code, CV_OK);
    assert_int_equal(n, cases);
    assert_int_equal(failed, 0);
}

static void test_golden_v2(void **state)
{
    (void)state;
    check_golden(V2, V2_DIR "/tokenizer-qwen.json", 26);
}

static void test_golden_v3(void **state)
{
    (void)state;
    check_golden(V3, V3_DIR "/tokenizer-cosyvoice3.json", 25);
}

static void test_added_tokens(void **state)
{
    (void)state;
    assert_int_equal(bpe_mergeable_count(V2), 151643);
    assert_int_equal(bpe_vocab_size(V2), 151663);
    assert_int_equal(bpe_vocab_size(V3), 151924);
    assert_int_equal(bpe_token_id(V2, "<|endoftext|>"), 151643);
    assert_int_equal(bpe_token_id(V2, "<|im_end|>"), 151645);
    assert_int_equal(bpe_token_id(V2, "<|endofprompt|>"), 151646);
    assert_int_equal(bpe_token_id(V2, "[mn]"), 151662);
    assert_int_equal(bpe_token_id(V2, "<|endofsystem|>"), -1);
    assert_int_equal(bpe_token_id(V3, "<|endofsystem|>"), 151663);
    assert_int_equal(bpe_token_id(V3, "[AA]"), 151664);
    assert_int_equal(bpe_token_id(V3, "[ǜ]"), 151923);
    /* CosyVoice3's list extends CosyVoice2's */
    size_t n2, n3;
    const char *const *l2 = cosyvoice_added_tokens(2, &n2), *const *l3 = cosyvoice_added_tokens(3, &n3);
    assert_int_equal(n2, 19);
    assert_int_equal(n3, 280);
    assert_ptr_equal(l2, l3);
    assert_null(cosyvoice_added_tokens(1, &n2));
    /* <|en|> is no token here: it is split like text */
    int32_t *ids;
    size_t n;
    assert_int_equal(bpe_encode(V2, "<|en|>", 6, &ids, &n).code, CV_OK);
    assert_true(n > 1);
    for (size_t i = 0; i < n; i++) assert_false(bpe_is_special(V2, ids[i]));
    free(ids);
    assert_true(bpe_is_special(V2, 151646));
    assert_false(bpe_is_special(V2, 9707));
    assert_false(bpe_is_special(V2, 151663));
}

/* Decomposed and composed text give the same ids (NFC first). */
static void test_nfc(void **state)
{
    (void)state;
    int32_t *a, *b;
    size_t na, nb;
    const char *composed = "caf\xc3\xa9 \xc3\x85ngstr\xc3\xb6m", *decomposed = "cafe\xcc\x81 A\xcc\x8angstro\xcc\x88m";
    assert_int_equal(bpe_encode(V2, composed, strlen(composed), &a, &na).code, CV_OK);
    assert_int_equal(bpe_encode(V2, decomposed, strlen(decomposed), &b, &nb).code, CV_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof *a);
    free(a), free(b);
    /* a lone combining mark stays itself */
    assert_int_equal(bpe_encode(V2, "\xcc\x81", 2, &a, &na).code, CV_OK);
    char *back;
    size_t len;
    assert_int_equal(bpe_decode(V2, a, na, &back, &len).code, CV_OK);
    assert_int_equal(len, 2);
    free(back), free(a);
}

/* decode_text drops the added tokens, as the reference's decode does. */
static void test_decode_text(void **state)
{
    (void)state;
    const char *text = "[breath]Hello<|endofprompt|> world";
    int32_t *ids;
    size_t n;
    assert_int_equal(bpe_encode(V3, text, strlen(text), &ids, &n).code, CV_OK);
    char *out;
    size_t len;
    assert_int_equal(bpe_decode_text(V3, ids, n, &out, &len).code, CV_OK);
    assert_string_equal(out, "Hello world");
    free(out);
    assert_int_equal(bpe_decode(V3, ids, n, &out, &len).code, CV_OK);
    assert_string_equal(out, text);
    free(out), free(ids);
}

/* Added tokens: leftmost match, then the longest; unfinished ones are text. */
static void test_added_token_matching(void **state)
{
    (void)state;
    int32_t *ids;
    size_t n;
    const char *t = "x[AA0]y";
    assert_int_equal(bpe_encode(V3, t, strlen(t), &ids, &n).code, CV_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[1], bpe_token_id(V3, "[AA0]"));
    free(ids);
    t = "[[breath]]";
    assert_int_equal(bpe_encode(V3, t, strlen(t), &ids, &n).code, CV_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[1], bpe_token_id(V3, "[breath]"));
    free(ids);
    t = "<|endofprompt";
    assert_int_equal(bpe_encode(V3, t, strlen(t), &ids, &n).code, CV_OK);
    for (size_t i = 0; i < n; i++) assert_false(bpe_is_special(V3, ids[i]));
    free(ids);
}

static int32_t pair_rank(const void *ctx, int32_t l, int32_t r, int32_t *merged)
{
    return bpe_pairs_find(&((const bpe_vocab *)ctx)->pairs, l, r, merged);
}

/* Runs of letters (one piece each) merged by the library and by the plain
 * loop of transformers' slow tokenizer. */
static void test_merge_matches_reference(void **state)
{
    (void)state;
    char dir[4096];
    src_path(dir, sizeof dir, V2_DIR "/CosyVoice-BlankEN");
    bpe_vocab v;
    assert_int_equal(bpe_vocab_load_hf(&v, dir, NULL, 0).code, CV_OK);
    static const char *alphabets[] = {"abcdefghijklmnopqrstuvwxyz", "aeinst", "ab",
                                      "的一是在不了有和人这中大为上个国我以要他"};
    uint8_t text[700];
    int32_t want[700], got[700];
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (int iter = 0; iter < 400; iter++) {
        const char *alpha = alphabets[iter % 4];
        size_t alen = strlen(alpha), len = 0;
        bool cjk = iter % 4 == 3;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        size_t count = 1 + (rng >> 20) % (cjk ? 200 : 600);
        for (size_t k = 0; k < count; k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            if (cjk) {
                memcpy(text + len, alpha + 3 * ((rng >> 20) % (alen / 3)), 3);
                len += 3;
            } else {
                text[len++] = (uint8_t)alpha[(rng >> 20) % alen];
            }
        }
        for (size_t i = 0; i < len; i++) want[i] = bpe_vocab_rank(&v, text + i, 1);
        size_t want_n = bpe_reference_merge_list(pair_rank, &v, want, len);
        size_t n = bpe_merge(&v, text, len, got);
        assert_int_equal(n, want_n);
        assert_memory_equal(got, want, n * sizeof *got);
    }
    bpe_vocab_free(&v);
}

/* A vocabulary of the 256 bytes plus a few tokens, written as vocab.json. */
static void write_small_vocab(const char *dir, const char *const *extra, size_t n_extra)
{
    json_t *vocab = json_object();
    char buf[8];
    for (unsigned b = 0; b < 256; b++) {
        int k = utf8_encode(bpe_bytelevel_char((uint8_t)b), buf);
        buf[k] = 0;
        json_object_set_new(vocab, buf, json_integer(b));
    }
    for (size_t i = 0; i < n_extra; i++)
        json_object_set_new(vocab, extra[i], json_integer(256 + (json_int_t)i));
    char *s = json_dumps(vocab, JSON_COMPACT);
    write_file(dir, "vocab.json", s, strlen(s));
    free(s);
    json_decref(vocab);
}

static bpe_tokenizer *load_small(const char *merges, cv_status *st)
{
    static const char *const extra[] = {"ab", "aba", "abab", "bc", "abc"};
    remove_files(TMP);
    write_small_vocab(TMP, extra, 5);
    write_file(TMP, "merges.txt", merges, strlen(merges));
    return bpe_tokenizer_load_qwen2(TMP, NULL, 0, st);
}

static void expect_small(const char *merges, const char *text, const int32_t *want, size_t n)
{
    cv_status st;
    bpe_tokenizer *t = load_small(merges, &st);
    assert_non_null(t);
    expect_ids(t, text, want, n);
    bpe_tokenizer_free(t);
}

/* The merge-list rule on a vocabulary small enough to reason about
 * (ids: bytes 0..255, then ab 256, aba 257, abab 258, bc 259, abc 260). */
static void test_merge_list_rule(void **state)
{
    (void)state;
    /* abc is a token, but only a and b are listed: ab c */
    expect_small("#version: 0.2\na b\n", "abc", (int32_t[]){256, 'c'}, 2);
    /* a pair of lower rank is taken first: a bc, then nothing joins a+bc */
    expect_small("#version: 0.2\nb c\na b\nab c\n", "abc", (int32_t[]){'a', 259}, 2);
    expect_small("a b\nab c\nb c\n", "abc", (int32_t[]){260}, 1);
    /* every occurrence of the best pair is merged before the pair it forms
     * ((ab, a), listed earlier) is considered: abab, not aba b */
    expect_small("ab a\na b\nab ab\n", "abab", (int32_t[]){258}, 1);
    /* a pair listed twice keeps its later rank: (b c) ranks after (a b) */
    expect_small("b c\na b\nb c\n", "abc", (int32_t[]){256, 'c'}, 2);
    /* blank lines take no rank, surrounding blanks are stripped */
    expect_small("\n  b c  \n\na b\n", "abc", (int32_t[]){'a', 259}, 2);
}

static void expect_small_error(const char *merges)
{
    cv_status st;
    assert_null(load_small(merges, &st));
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
}

static void test_load_errors(void **state)
{
    (void)state;
    cv_status st;
    assert_null(bpe_tokenizer_load_qwen2("/nonexistent", NULL, 0, &st));
    assert_int_equal(st.code, CV_NOT_FOUND);
    expect_small_error("a\n");          /* not a pair */
    expect_small_error("a b c\n");      /* three parts */
    expect_small_error("a x\n");        /* "ax" is no token */
    expect_small_error("a \xc3\xa9\n"); /* a byte-level character alone is byte 0xe9: "a\xe9" no token */
    /* vocab.json with a gap in its ids */
    remove_files(TMP);
    write_file(TMP, "vocab.json", "{\"a\": 0, \"b\": 2}", 16);
    write_file(TMP, "merges.txt", "", 0);
    assert_null(bpe_tokenizer_load_qwen2(TMP, NULL, 0, &st));
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    /* not byte-level characters */
    write_file(TMP, "vocab.json", "{\"\\u4f60\": 0}", 13);
    assert_null(bpe_tokenizer_load_qwen2(TMP, NULL, 0, &st));
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    /* another tokenizer class */
    bpe_tokenizer_free(load_small("a b\n", &st));
    const char *cfg = "{\"tokenizer_class\": \"LlamaTokenizer\"}";
    write_file(TMP, "tokenizer_config.json", cfg, strlen(cfg));
    assert_null(bpe_tokenizer_load_qwen2(TMP, NULL, 0, &st));
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "LlamaTokenizer"));
    /* an added token whose id leaves a gap */
    cfg = "{\"added_tokens_decoder\": {\"300\": {\"content\": \"<x>\"}}}";
    write_file(TMP, "tokenizer_config.json", cfg, strlen(cfg));
    assert_null(bpe_tokenizer_load_qwen2(TMP, NULL, 0, &st));
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    remove_files(TMP);
}

/* Added tokens as transformers adds them: the directory's with their ids,
 * then the list's (a known one keeps its id, a regular token's text gets
 * that token's id, a new one the next id). */
static void test_added_token_ids(void **state)
{
    (void)state;
    cv_status st;
    bpe_tokenizer *t = load_small("a b\n", &st);
    bpe_tokenizer_free(t);
    const char *cfg = "{\"added_tokens_decoder\": {\"262\": {\"content\": \"<y>\"},"
                      " \"261\": {\"content\": \"<x>\"}}}";
    write_file(TMP, "tokenizer_config.json", cfg, strlen(cfg));
    const char *const added[] = {"<y>", "<z>", "abc", "<x>"};
    t = bpe_tokenizer_load_qwen2(TMP, added, 4, &st);
    assert_non_null(t);
    assert_int_equal(bpe_token_id(t, "<x>"), 261);
    assert_int_equal(bpe_token_id(t, "<y>"), 262);
    assert_int_equal(bpe_token_id(t, "<z>"), 263);
    assert_int_equal(bpe_token_id(t, "abc"), 260);
    assert_int_equal(bpe_vocab_size(t), 264);
    assert_true(bpe_is_special(t, 260));
    /* "abc" is now split out as the special token (id 260) even without
     * the merges that would build it */
    expect_ids(t, "xabc<z>", (int32_t[]){'x', 260, 263}, 3);
    bpe_tokenizer_free(t);
    remove_files(TMP);
}

/* tokenizer.json holding the same vocabulary, merges and added tokens
 * gives the same ids as vocab.json + merges.txt + tokenizer_config.json. */
static void test_tokenizer_json(void **state)
{
    (void)state;
    char dir[2048], path[4096];
    src_path(dir, sizeof dir, V2_DIR "/CosyVoice-BlankEN");
    snprintf(path, sizeof path, "%s/vocab.json", dir);
    json_t *vocab = json_load_file(path, 0, NULL);
    snprintf(path, sizeof path, "%s/merges.txt", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(vocab);
    assert_non_null(f);
    json_t *merges = json_array();
    char line[1024];
    for (int i = 0; fgets(line, sizeof line, f); i++) {
        line[strcspn(line, "\r\n")] = 0;
        if (i == 0 && !strncmp(line, "#version", 8)) continue;
        char *sp = strchr(line, ' ');
        if (!sp) continue;
        *sp = 0;
        /* both forms of a merge: "left right" and [left, right] */
        if (i % 2) {
            *sp = ' ';
            json_array_append_new(merges, json_string(line));
        } else {
            json_array_append_new(merges, json_pack("[ss]", line, sp + 1));
        }
    }
    fclose(f);
    json_t *added = json_pack("[{sisssbsb}{sisssbsb}{sisssbsb}]", "id", 151643, "content",
                              "<|endoftext|>", "special", 1, "normalized", 0, "id", 151644,
                              "content", "<|im_start|>", "special", 1, "normalized", 0, "id",
                              151645, "content", "<|im_end|>", "special", 1, "normalized", 0);
    json_t *root = json_pack("{s:o, s:{s:s, s:o, s:o, s:b}}", "added_tokens", added, "model",
                             "type", "BPE", "vocab", vocab, "merges", merges, "ignore_merges", 0);
    snprintf(path, sizeof path, "%s/tokenizer.json", TMP);
    assert_int_equal(json_dump_file(root, path, JSON_COMPACT), 0);
    json_decref(root);

    size_t n;
    const char *const *list = cosyvoice_added_tokens(2, &n);
    cv_status st;
    bpe_tokenizer *t = bpe_tokenizer_load_qwen2(TMP, list, n, &st);
    if (!t) fprintf(stderr, "%s\n", st.message);
    assert_non_null(t);
    check_golden(t, V2_DIR "/tokenizer-qwen.json", 26);
    bpe_tokenizer_free(t);
    remove_files(TMP);
}

/* Han characters among the complete UTF-8 sequences of s[0..len). */
static int han_chars(const uint8_t *s, size_t len)
{
    int n = 0;
    for (size_t i = 0; i + 3 <= len; i++)
        if (s[i] >= 0xE4 && s[i] <= 0xE9 && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80)
            n++, i += 2;
    return n;
}

/* The official CosyVoice2 merges.txt lacks the merges that build tokens of
 * two or more Chinese characters. With such a file (made here from the full
 * one), Chinese text splits into single characters although the vocabulary
 * still holds the longer tokens: the merges are read, never assumed. */
static void test_shortened_merges(void **state)
{
    (void)state;
    char dir[2048], path[4096];
    src_path(dir, sizeof dir, V2_DIR "/CosyVoice-BlankEN");
    snprintf(path, sizeof path, "%s/merges.txt", dir);
    FILE *in = fopen(path, "rb");
    snprintf(path, sizeof path, "%s/merges.txt", TMP);
    FILE *out = fopen(path, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char line[1024];
    uint8_t bytes[1024];
    int dropped = 0;
    while (fgets(line, sizeof line, in)) {
        size_t len = strcspn(line, "\r\n"), blen;
        char joined[1024];
        size_t j = 0;
        for (size_t i = 0; i < len; i++)
            if (line[i] != ' ') joined[j++] = line[i];
        if (line[0] != '#' && bpe_bytelevel_decode(joined, j, bytes, &blen) &&
            han_chars(bytes, blen) >= 2) {
            dropped++;
            continue;
        }
        fputs(line, out);
    }
    fclose(in);
    fclose(out);
    assert_true(dropped > 10000);
    snprintf(path, sizeof path, "%s/vocab.json", dir);
    char link[4096];
    snprintf(link, sizeof link, "%s/vocab.json", TMP);
    assert_int_equal(symlink(path, link), 0);

    cv_status st;
    bpe_tokenizer *t = bpe_tokenizer_load_qwen2(TMP, NULL, 0, &st);
    assert_non_null(t);
    const char *text = "你好，我是通义千问语音合成大模型";
    int32_t *full, *shortened;
    size_t nf, ns;
    assert_int_equal(bpe_encode(V2, text, strlen(text), &full, &nf).code, CV_OK);
    assert_int_equal(bpe_encode(t, text, strlen(text), &shortened, &ns).code, CV_OK);
    assert_true(nf < 16);
    assert_int_equal(ns, utf8_length(text, strlen(text))); /* one per character */
    assert_int_equal(full[0], 108386);   /* 你好 */
    assert_int_equal(shortened[0], 56568); /* 你 */
    free(full), free(shortened);
    expect_ids(t, "Hello world!", (int32_t[]){9707, 1879, 0}, 3);
    bpe_tokenizer_free(t);
    remove_files(TMP);
}

/* GPT-2's alphabet: every byte is one character and back; nothing else. */
static void test_bytelevel(void **state)
{
    (void)state;
    int seen[0x200] = {0};
    for (unsigned b = 0; b < 256; b++) {
        uint32_t cp = bpe_bytelevel_char((uint8_t)b);
        assert_true(cp < 0x144);
        assert_int_equal(seen[cp]++, 0);
        char buf[4];
        int k = utf8_encode(cp, buf);
        uint8_t back;
        size_t n;
        assert_true(bpe_bytelevel_decode(buf, (size_t)k, &back, &n));
        assert_int_equal(n, 1);
        assert_int_equal(back, b);
    }
    assert_int_equal(bpe_bytelevel_char(' '), 0x120);  /* the familiar 'Ġ' */
    assert_int_equal(bpe_bytelevel_char('\n'), 0x10A); /* 'Ċ' */
    assert_int_equal(bpe_bytelevel_char('a'), 'a');
    uint8_t out[8];
    size_t n;
    assert_false(bpe_bytelevel_decode(" ", 1, out, &n));         /* U+0020 */
    assert_false(bpe_bytelevel_decode("\xc2\xad", 2, out, &n)); /* U+00AD */
    assert_false(bpe_bytelevel_decode("\xc5\x84", 2, out, &n)); /* U+0144 */
    assert_false(bpe_bytelevel_decode("\xff", 1, out, &n));     /* not UTF-8 */
}

/* More than 64 distinct lengths of added tokens: the finder then tries
 * every length (longest first) and still finds the longest match. */
static void test_many_added_lengths(void **state)
{
    (void)state;
    cv_status st;
    bpe_tokenizer_free(load_small("a b\n", &st));
    char texts[80][96];
    const char *added[80];
    for (int k = 0; k < 80; k++) {
        snprintf(texts[k], sizeof texts[k], "<%.*s>", k + 1,
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        added[k] = texts[k];
    }
    bpe_tokenizer *t = bpe_tokenizer_load_qwen2(TMP, added, 80, &st);
    assert_non_null(t);
    assert_int_equal(bpe_vocab_size(t), 261 + 80);
    char text[256];
    snprintf(text, sizeof text, "a%sb%s", texts[79], texts[3]);
    expect_ids(t, text, (int32_t[]){'a', 261 + 79, 'b', 261 + 3}, 4);
    bpe_tokenizer_free(t);
    remove_files(TMP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_v2),
        cmocka_unit_test(test_golden_v3),
        cmocka_unit_test(test_added_tokens),
        cmocka_unit_test(test_nfc),
        cmocka_unit_test(test_decode_text),
        cmocka_unit_test(test_added_token_matching),
        cmocka_unit_test(test_merge_matches_reference),
        cmocka_unit_test(test_merge_list_rule),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_added_token_ids),
        cmocka_unit_test(test_tokenizer_json),
        cmocka_unit_test(test_shortened_merges),
        cmocka_unit_test(test_bytelevel),
        cmocka_unit_test(test_many_added_lengths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
