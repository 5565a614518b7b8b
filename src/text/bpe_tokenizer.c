#include "text/bpe_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <stdio.h>

#include "common/log.h"
#include "common/utf8.h"
#include "text/bpe_merge.h"
#include "text/bpe_vocab.h"
#include "text/nfc.h"

/* Whisper's pre-tokenizer:
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * The reference evaluates it with Rust's regex engine, where \s is the
 * Unicode White_Space property. PCRE2's \s (with UCP) also matches U+180E
 * MONGOLIAN VOWEL SEPARATOR, which is no longer White_Space, so every \s
 * below excludes it explicitly; otherwise the pattern is unchanged. */
static const char WHISPER_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d"
    "| ?\\p{L}+"
    "| ?\\p{N}+"
    "| ?(?:[^\\s\\p{L}\\p{N}]|\\x{180E})+"
    "|[^\\S\\x{180E}]+(?![\\S\\x{180E}])"
    "|[^\\S\\x{180E}]+";

/* Qwen2's pre-tokenizer:
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*
 *   |\s*[\r\n]+|\s+(?!\S)|\s+
 * with the same treatment of \s: Python's regex module (the reference's
 * slow tokenizer) and Rust's (its fast one) both take \s as White_Space. */
static const char QWEN2_PATTERN[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)"
    "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
    "|\\p{N}"
    "| ?(?:[^\\s\\p{L}\\p{N}]|\\x{180E})+[\\r\\n]*"
    "|[^\\S\\x{180E}]*[\\r\\n]+"
    "|[^\\S\\x{180E}]+(?![\\S\\x{180E}])"
    "|[^\\S\\x{180E}]+";

struct bpe_tokenizer {
    bpe_vocab v;
    pcre2_code *re;
    bool nfc;          /* normalize the text first (Qwen2) */
    bool has_aliases;  /* some special token shares a mergeable token's id */
};

/* Finishes t once its vocabulary is loaded (status loaded): compiles the
 * pattern. Frees t on failure. */
static bpe_tokenizer *finish(bpe_tokenizer *t, cv_status loaded, bool nfc, const char *pattern,
                             const char *what, cv_status *st)
{
    if (!cv_is_ok(&loaded)) {
        *st = loaded;
        free(t);
        return NULL;
    }
    t->nfc = nfc;
    int err;
    PCRE2_SIZE erroff;
    t->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                          &err, &erroff, NULL);
    if (!t->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        *st = cv_error(CV_INTERNAL, "pre-tokenizer pattern: %s at %zu", (char *)msg,
                       (size_t)erroff);
        bpe_tokenizer_free(t);
        return NULL;
    }
    /* JIT is only a speed-up: without it (unsupported CPU, no executable
     * memory) pcre2_match interprets the same pattern. */
    int jit = pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE);
    for (int32_t k = 0; k < t->v.n_special; k++)
        if (t->v.sp_id[k] < t->v.n_mergeable) t->has_aliases = true;
    LOG_DEBUG("tokenizer %s: %d mergeable + %d special tokens, %zu merges, regex JIT %s", what,
              (int)t->v.n_mergeable, (int)t->v.n_special, t->v.pairs.count,
              jit == 0 ? "on" : "off");
    *st = cv_ok();
    return t;
}

static bpe_tokenizer *alloc_tokenizer(cv_status *st)
{
    bpe_tokenizer *t = calloc(1, sizeof *t);
    if (!t) *st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    return t;
}

bpe_tokenizer *bpe_tokenizer_load(const char *path, cv_status *st)
{
    cv_status local;
    if (!st) st = &local;
    bpe_tokenizer *t = alloc_tokenizer(st);
    return t ? finish(t, bpe_vocab_load(&t->v, path), false, WHISPER_PATTERN, path, st) : NULL;
}

/* A tokenizer_config.json naming another tokenizer class than Qwen2's. */
static cv_status check_class(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    json_t *root = json_load_file(path, 0, NULL);
    if (!root) return cv_ok(); /* absent (tokenizer.json only); bad JSON fails the loader */
    json_t *cls = json_object_get(root, "tokenizer_class");
    cv_status st = cv_ok();
    if (json_is_string(cls) && strcmp(json_string_value(cls), "Qwen2Tokenizer") &&
        strcmp(json_string_value(cls), "Qwen2TokenizerFast"))
        st = cv_error(CV_INVALID_ARGUMENT,
                      "%s: tokenizer class %s is not Qwen2's (Qwen2Tokenizer), which CosyVoice2 "
                      "and 3 use",
                      path, json_string_value(cls));
    json_decref(root);
    return st;
}

bpe_tokenizer *bpe_tokenizer_load_qwen2(const char *dir, const char *const *added,
                                        size_t n_added, cv_status *st)
{
    cv_status local;
    if (!st) st = &local;
    *st = check_class(dir);
    if (!cv_is_ok(st)) return NULL;
    bpe_tokenizer *t = alloc_tokenizer(st);
    return t ? finish(t, bpe_vocab_load_hf(&t->v, dir, added, n_added), true, QWEN2_PATTERN, dir,
                      st)
             : NULL;
}

void bpe_tokenizer_free(bpe_tokenizer *t)
{
    if (!t) return;
    pcre2_code_free(t->re);
    bpe_vocab_free(&t->v);
    free(t);
}

/* Appends the ids of one pre-tokenized piece. */
static cv_status encode_piece(const bpe_tokenizer *t, const uint8_t *p, size_t len,
                              int32_t *ids, size_t *n)
{
    int32_t r = t->v.whole_piece_first ? bpe_vocab_rank(&t->v, p, len) : -1;
    if (r >= 0) {
        ids[(*n)++] = r;
        return cv_ok();
    }
    size_t k = bpe_merge(&t->v, p, len, ids + *n);
    if (k == 0) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory in the tokenizer");
    *n += k;
    return cv_ok();
}

/* Splits text without special tokens into pieces and encodes each. The
 * segment is matched on its own, so (?!\S) sees its end as the text's end,
 * as in the reference. */
static cv_status encode_ordinary(const bpe_tokenizer *t, pcre2_match_data *md,
                                 const char *s, size_t len, int32_t *ids, size_t *n)
{
    size_t pos = 0;
    while (pos < len) {
        int rc = pcre2_match(t->re, (PCRE2_SPTR)s, len, pos, PCRE2_NO_UTF_CHECK, md, NULL);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT) /* the interpreter has a larger budget */
            rc = pcre2_match(t->re, (PCRE2_SPTR)s, len, pos, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT,
                             md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) break; /* cannot happen: the pattern covers all */
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            return cv_error(CV_INTERNAL, "pre-tokenizer failed: %s", (char *)msg);
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (ov[1] <= ov[0]) return cv_error(CV_INTERNAL, "pre-tokenizer matched nothing");
        cv_status st = encode_piece(t, (const uint8_t *)s + ov[0], ov[1] - ov[0], ids, n);
        if (!cv_is_ok(&st)) return st;
        pos = ov[1];
    }
    return cv_ok();
}

cv_status bpe_encode(const bpe_tokenizer *t, const char *utf8, size_t len, int32_t **ids,
                     size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (len == 0) return cv_ok();
    if (!utf8) return cv_error(CV_INVALID_ARGUMENT, "no text to tokenize");
    if (len > UINT32_MAX / 4) return cv_error(CV_INVALID_ARGUMENT, "text too long to tokenize");
    if (!utf8_valid(utf8, len)) return cv_error(CV_INVALID_ARGUMENT, "text is not valid UTF-8");
    char *norm = NULL;
    if (t->nfc) {
        cv_status st = utf8_nfc(utf8, len, &norm, &len);
        if (!cv_is_ok(&st)) return st;
        if (norm) utf8 = norm;
        if (len == 0) {
            free(norm);
            return cv_ok();
        }
    }

    /* Every id covers at least one byte, so len ids always suffice. */
    int32_t *out = malloc(len * sizeof *out);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    cv_status st = cv_ok();
    size_t count = 0;
    if (!out || !md) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory in the tokenizer");
        goto fail;
    }
    size_t pos = 0;
    while (pos < len) {
        size_t sp_len = 0;
        int32_t sp_id = -1;
        const char *sp = bpe_vocab_find_special(&t->v, utf8, len, pos, &sp_len, &sp_id);
        size_t seg_end = sp ? (size_t)(sp - utf8) : len;
        st = encode_ordinary(t, md, utf8 + pos, seg_end - pos, out, &count);
        if (!cv_is_ok(&st)) goto fail;
        if (!sp) break;
        out[count++] = sp_id;
        pos = seg_end + sp_len;
    }
    pcre2_match_data_free(md);
    free(norm);
    if (count == 0) { /* realloc(p, 0) may free p */
        free(out);
        return cv_ok();
    }
    int32_t *shrunk = realloc(out, count * sizeof *out);
    *ids = shrunk ? shrunk : out;
    *n = count;
    return cv_ok();
fail:
    pcre2_match_data_free(md);
    free(out);
    free(norm);
    return st;
}

/* Concatenates the bytes of ids, leaving out special tokens if skip. */
static cv_status decode(const bpe_tokenizer *t, const int32_t *ids, size_t n, bool skip,
                        char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= t->v.n_total)
            return cv_error(CV_INVALID_ARGUMENT, "token id %d at %zu is outside 0..%d",
                            (int)ids[i], i, (int)t->v.n_total - 1);
        total += t->v.off[ids[i] + 1] - t->v.off[ids[i]];
    }
    char *buf = malloc(total + 1);
    if (!buf) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory decoding tokens");
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (skip && bpe_is_special(t, ids[i])) continue;
        size_t len = t->v.off[ids[i] + 1] - t->v.off[ids[i]];
        memcpy(buf + o, t->v.blob + t->v.off[ids[i]], len);
        o += len;
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return cv_ok();
}

cv_status bpe_decode(const bpe_tokenizer *t, const int32_t *ids, size_t n, char **out,
                     size_t *out_len)
{
    return decode(t, ids, n, false, out, out_len);
}

cv_status bpe_decode_text(const bpe_tokenizer *t, const int32_t *ids, size_t n, char **out,
                          size_t *out_len)
{
    return decode(t, ids, n, true, out, out_len);
}

bool bpe_is_special(const bpe_tokenizer *t, int32_t id)
{
    if (id >= t->v.n_mergeable) return id < t->v.n_total;
    for (int32_t k = 0; t->has_aliases && k < t->v.n_special; k++)
        if (t->v.sp_id[k] == id) return true;
    return false;
}

int32_t bpe_token_id(const bpe_tokenizer *t, const char *special)
{
    return bpe_vocab_special(&t->v, (const uint8_t *)special, strlen(special));
}

int32_t bpe_token_rank(const bpe_tokenizer *t, const void *bytes, size_t len)
{
    return bpe_vocab_rank(&t->v, bytes, len);
}

size_t bpe_vocab_size(const bpe_tokenizer *t) { return (size_t)t->v.n_total; }
size_t bpe_mergeable_count(const bpe_tokenizer *t) { return (size_t)t->v.n_mergeable; }
