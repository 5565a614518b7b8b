/* Hugging Face byte-level BPE directories (Qwen2's CosyVoice-BlankEN/):
 * vocab.json (token -> id, tokens in the byte-level alphabet), merges.txt
 * (a "#version" line, then one "left right" pair per line, highest
 * priority first) and the added tokens of tokenizer_config.json
 * ("added_tokens_decoder": id -> {"content": ...}); or, when vocab.json and
 * merges.txt are absent, tokenizer.json holding the same ("model": {"vocab",
 * "merges", "ignore_merges"}, "added_tokens": [{"id", "content"}]).
 *
 * Merge lines are ranked as transformers' Qwen2Tokenizer ranks them: blank
 * lines and a first line starting with "#version:" are skipped, a pair
 * listed twice keeps its later rank. A merge naming a token that is not in
 * the vocabulary (or whose joined token is not) is refused, as the Rust
 * tokenizers refuse it: such a file cannot have come from a working model. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "text/bpe_bytelevel.h"
#include "text/bpe_vocab.h"

#define MERGES_FILE_MAX (256u << 20)

static bool is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static cv_status load_json(const char *path, json_t **out)
{
    json_error_t jerr;
    *out = json_load_file(path, 0, &jerr);
    if (!*out) {
        if (!is_file(path)) return cv_error(CV_NOT_FOUND, "%s not found", path);
        return cv_error(CV_INVALID_ARGUMENT, "%s:%d: %s", path, jerr.line, jerr.text);
    }
    return cv_ok();
}

/* vocab (an object token -> id, ids 0..n-1 each once) into raw-byte tokens. */
static cv_status read_vocab(bpe_vocab *v, const char *what, json_t *vocab)
{
    if (!json_is_object(vocab) || json_object_size(vocab) == 0)
        return cv_error(CV_INVALID_ARGUMENT, "%s: no token -> id object", what);
    size_t n = json_object_size(vocab);
    if (n > (size_t)INT32_MAX / 2) return cv_error(CV_INVALID_ARGUMENT, "%s: too many tokens", what);
    const char **key = calloc(n, sizeof *key);
    size_t *key_len = malloc(n * sizeof *key_len);
    uint32_t *off = malloc((n + 1) * sizeof *off);
    uint8_t *blob = NULL;
    cv_status st = cv_ok();
    if (!key || !key_len || !off) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", what);
        goto fail;
    }
    const char *k;
    size_t klen, total = 0;
    json_t *val;
    json_object_keylen_foreach(vocab, k, klen, val)
    {
        json_int_t id = json_is_integer(val) ? json_integer_value(val) : -1;
        if (id < 0 || (size_t)id >= n) {
            st = cv_error(CV_INVALID_ARGUMENT,
                          "%s: token \"%.40s\" has id %lld; ids must be 0..%zu, each once", what,
                          k, (long long)id, n - 1);
            goto fail;
        }
        if (key[id]) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: id %lld given twice", what, (long long)id);
            goto fail;
        }
        key[id] = k;
        key_len[id] = klen;
        total += klen;
    }
    /* n distinct ids below n: all are present. A character gives one byte. */
    blob = malloc(total ? total : 1);
    if (!blob) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", what);
        goto fail;
    }
    size_t o = 0;
    for (size_t id = 0; id < n; id++) {
        size_t len;
        off[id] = (uint32_t)o;
        if (!bpe_bytelevel_decode(key[id], key_len[id], blob + o, &len)) {
            st = cv_error(CV_INVALID_ARGUMENT,
                          "%s: token %zu (\"%.40s\") is not in the byte-level alphabet", what, id,
                          key[id]);
            goto fail;
        }
        o += len;
    }
    off[n] = (uint32_t)o;
    free(key);
    free(key_len);
    return bpe_vocab_build(v, what, blob, off, (int32_t)n);
fail:
    free(key);
    free(key_len);
    free(off);
    free(blob);
    return st;
}

/* Id of the token written in[0..len) in the byte-level alphabet, or -1.
 * buf needs len bytes. */
static int32_t token_of(const bpe_vocab *v, const char *in, size_t len, uint8_t *buf)
{
    size_t n;
    if (!bpe_bytelevel_decode(in, len, buf, &n)) return -1;
    return bpe_vocab_rank(v, buf, n);
}

/* Adds merge `rank`: left[0..ll) and right[0..rl) in the byte-level alphabet. */
static cv_status add_merge(bpe_vocab *v, const char *what, size_t line, const char *left,
                           size_t ll, const char *right, size_t rl, int32_t rank)
{
    uint8_t stack[512], *buf = ll + rl <= sizeof stack ? stack : malloc(ll + rl);
    if (!buf) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", what);
    int32_t l = token_of(v, left, ll, buf), r = token_of(v, right, rl, buf), m = -1;
    if (l >= 0 && r >= 0) {
        size_t a = v->off[l + 1] - v->off[l], b = v->off[r + 1] - v->off[r];
        memcpy(buf, v->blob + v->off[l], a);
        memcpy(buf + a, v->blob + v->off[r], b);
        m = bpe_vocab_rank(v, buf, a + b);
    }
    if (buf != stack) free(buf);
    if (l < 0 || r < 0 || m < 0)
        return cv_error(CV_INVALID_ARGUMENT,
                        "%s: merge %zu (\"%.*s %.*s\") names a token the vocabulary lacks", what,
                        line, (int)(ll > 40 ? 40 : ll), left, (int)(rl > 40 ? 40 : rl), right);
    bpe_pairs_put(&v->pairs, l, r, rank, m);
    return cv_ok();
}

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* merges.txt: see the top of the file for the ranking. */
static cv_status read_merges_txt(bpe_vocab *v, const char *path)
{
    char *data = NULL;
    size_t size = 0;
    cv_status st = bpe_read_file(path, MERGES_FILE_MAX, &data, &size);
    if (!cv_is_ok(&st)) return st;
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
    if (!bpe_pairs_init(&v->pairs, lines)) {
        free(data);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", path);
    }
    int32_t rank = 0;
    size_t pos = 0;
    for (size_t line = 1; pos < size && cv_is_ok(&st); line++) {
        const char *nl = memchr(data + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - data) : size, a = pos, b = end;
        pos = end + 1;
        while (a < b && blank(data[a])) a++; /* Python's str.strip() */
        while (b > a && blank(data[b - 1])) b--;
        if (a == b) continue;
        if (line == 1 && b - a >= 9 && !memcmp(data + a, "#version:", 9)) continue;
        size_t s = a;
        while (s < b && !blank(data[s])) s++;
        size_t t = s;
        while (t < b && blank(data[t])) t++;
        bool two = s < b && t < b;
        for (size_t i = t; two && i < b; i++) two = !blank(data[i]);
        if (!two) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: line %zu is not \"left right\"", path, line);
            break;
        }
        st = add_merge(v, path, line, data + a, s - a, data + t, b - t, rank++);
    }
    free(data);
    return st;
}

/* tokenizer.json's model.merges: "left right" strings or [left, right]. */
static cv_status read_merges_json(bpe_vocab *v, const char *what, json_t *merges)
{
    if (!json_is_array(merges)) return cv_error(CV_INVALID_ARGUMENT, "%s: no merges list", what);
    if (!bpe_pairs_init(&v->pairs, json_array_size(merges)))
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", what);
    size_t i;
    json_t *m;
    json_array_foreach(merges, i, m)
    {
        const char *l = NULL, *r = NULL;
        size_t ll = 0, rl = 0;
        if (json_is_string(m)) {
            const char *s = json_string_value(m), *sp = strchr(s, ' ');
            if (sp && sp > s && sp[1] && !strchr(sp + 1, ' ')) {
                l = s, ll = (size_t)(sp - s), r = sp + 1, rl = strlen(sp + 1);
            }
        } else if (json_is_array(m) && json_array_size(m) == 2 &&
                   json_is_string(json_array_get(m, 0)) && json_is_string(json_array_get(m, 1))) {
            l = json_string_value(json_array_get(m, 0)), ll = json_string_length(json_array_get(m, 0));
            r = json_string_value(json_array_get(m, 1)), rl = json_string_length(json_array_get(m, 1));
        }
        if (!l || !ll || !rl)
            return cv_error(CV_INVALID_ARGUMENT, "%s: merge %zu is not a pair of tokens", what,
                            i + 1);
        cv_status st = add_merge(v, what, i + 1, l, ll, r, rl, (int32_t)i);
        if (!cv_is_ok(&st)) return st;
    }
    return cv_ok();
}

typedef struct added_list {
    bpe_special_def *d;
    size_t n, cap;
} added_list;

static bool added_push(added_list *a, const char *text, size_t len, int32_t id)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 64;
        bpe_special_def *d = realloc(a->d, cap * sizeof *d);
        if (!d) return false;
        a->d = d, a->cap = cap;
    }
    a->d[a->n++] = (bpe_special_def){text, len, id};
    return true;
}

static int by_id(const void *x, const void *y)
{
    const bpe_special_def *a = x, *b = y;
    return (a->id > b->id) - (a->id < b->id);
}

/* The directory's own added tokens: tokenizer_config.json's
 * added_tokens_decoder (an object keyed by id) or tokenizer.json's
 * added_tokens (a list), in id order. The texts stay owned by `root`. */
static cv_status read_added(const char *what, json_t *root, bool from_tokenizer_json,
                            added_list *out)
{
    json_t *list = json_object_get(root, from_tokenizer_json ? "added_tokens" : "added_tokens_decoder");
    if (!list) return cv_ok();
    if (from_tokenizer_json ? !json_is_array(list) : !json_is_object(list))
        return cv_error(CV_INVALID_ARGUMENT, "%s: malformed added tokens", what);
    void *iter = json_is_object(list) ? json_object_iter(list) : NULL;
    for (size_t i = 0;; i++) {
        json_t *tok;
        long long id;
        if (json_is_object(list)) {
            if (!iter) break;
            const char *key = json_object_iter_key(iter);
            char *end;
            id = strtoll(key, &end, 10);
            if (*end || end == key) id = -1;
            tok = json_object_iter_value(iter);
            iter = json_object_iter_next(list, iter);
        } else {
            if (i >= json_array_size(list)) break;
            tok = json_array_get(list, i);
            json_t *jid = json_object_get(tok, "id");
            id = json_is_integer(jid) ? (long long)json_integer_value(jid) : -1;
        }
        json_t *content = json_object_get(tok, "content");
        if (id < 0 || id > INT32_MAX || !json_is_string(content) || !json_string_length(content))
            return cv_error(CV_INVALID_ARGUMENT, "%s: added token %zu lacks an id or a content",
                            what, i + 1);
        if (!added_push(out, json_string_value(content), json_string_length(content), (int32_t)id))
            return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", what);
    }
    qsort(out->d, out->n, sizeof *out->d, by_id);
    return cv_ok();
}

/* The caller's tokens, as add_special_tokens treats them (see bpe_vocab.h). */
static cv_status append_requested(const bpe_vocab *v, const char *what,
                                  const char *const *added, size_t n_added, added_list *out)
{
    for (size_t i = 0; i < n_added; i++) {
        size_t len = strlen(added[i]);
        bool known = false;
        for (size_t j = 0; j < out->n && !known; j++)
            known = out->d[j].len == len && !memcmp(out->d[j].text, added[i], len);
        if (known || len == 0) continue;
        uint8_t *buf = malloc(len);
        if (!buf) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", what);
        int32_t id = token_of(v, added[i], len, buf);
        free(buf);
        if (!added_push(out, added[i], len, id))
            return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", what);
    }
    return cv_ok();
}

cv_status bpe_vocab_load_hf(bpe_vocab *v, const char *dir, const char *const *added,
                            size_t n_added)
{
    memset(v, 0, sizeof *v);
    char vocab_path[4096], merges_path[4096], config_path[4096], tok_path[4096];
    snprintf(vocab_path, sizeof vocab_path, "%s/vocab.json", dir);
    snprintf(merges_path, sizeof merges_path, "%s/merges.txt", dir);
    snprintf(config_path, sizeof config_path, "%s/tokenizer_config.json", dir);
    snprintf(tok_path, sizeof tok_path, "%s/tokenizer.json", dir);
    bool split_files = is_file(vocab_path) && is_file(merges_path);
    if (!split_files && !is_file(tok_path))
        return cv_error(CV_NOT_FOUND,
                        "no tokenizer in %s: neither vocab.json + merges.txt nor tokenizer.json",
                        dir);
    json_t *root = NULL, *config = NULL;
    added_list list = {0};
    const char *what = split_files ? vocab_path : tok_path;
    cv_status st = load_json(what, &root);
    if (!cv_is_ok(&st)) goto done;
    if (split_files) {
        st = read_vocab(v, vocab_path, root);
        if (cv_is_ok(&st)) st = read_merges_txt(v, merges_path);
        if (cv_is_ok(&st) && is_file(config_path)) {
            st = load_json(config_path, &config);
            if (cv_is_ok(&st)) st = read_added(config_path, config, false, &list);
        }
    } else {
        json_t *model = json_object_get(root, "model");
        json_t *type = json_object_get(model, "type");
        if (!json_is_object(model) || (type && (!json_is_string(type) ||
                                                strcmp(json_string_value(type), "BPE")))) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: the model is not a BPE", tok_path);
            goto done;
        }
        st = read_vocab(v, tok_path, json_object_get(model, "vocab"));
        if (cv_is_ok(&st)) st = read_merges_json(v, tok_path, json_object_get(model, "merges"));
        if (cv_is_ok(&st)) st = read_added(tok_path, root, true, &list);
        v->whole_piece_first = json_is_true(json_object_get(model, "ignore_merges"));
    }
    if (cv_is_ok(&st)) st = append_requested(v, what, added, n_added, &list);
    if (cv_is_ok(&st)) st = bpe_vocab_add_specials(v, what, list.d, list.n);
done:
    free(list.d);
    json_decref(root);
    json_decref(config);
    if (!cv_is_ok(&st)) bpe_vocab_free(v);
    return st;
}
