#include "text/bpe_parity.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* Compares one case; logs the first difference. */
static bool check_case(const bpe_tokenizer *t, size_t idx, json_t *c, cv_status *err)
{
    json_t *jtext = json_object_get(c, "text");
    json_t *jids = json_object_get(c, "ids");
    json_t *jdec = json_object_get(c, "decoded");
    if (!json_is_string(jtext) || !json_is_array(jids)) {
        *err = cv_error(CV_INVALID_ARGUMENT, "case %zu lacks \"text\" or \"ids\"", idx);
        return false;
    }
    const char *text = json_string_value(jtext);
    size_t len = json_string_length(jtext);
    int32_t *ids;
    size_t n;
    cv_status st = bpe_encode(t, text, len, &ids, &n);
    if (!cv_is_ok(&st)) {
        LOG_ERROR("tokenizer case %zu (\"%.60s\"): %s", idx, text, st.message);
        return false;
    }
    size_t want_n = json_array_size(jids), i;
    for (i = 0; i < n && i < want_n; i++)
        if (json_integer_value(json_array_get(jids, i)) != ids[i]) break;
    bool ok = i == n && n == want_n;
    if (!ok) {
        long long want = i < want_n ? json_integer_value(json_array_get(jids, i)) : -1;
        LOG_ERROR("tokenizer case %zu (\"%.60s\"): %zu ids, expected %zu; first "
                  "difference at %zu: got %d, expected %lld",
                  idx, text, n, want_n, i, i < n ? (int)ids[i] : -1, want);
    }
    if (ok && json_is_string(jdec)) {
        char *back = NULL;
        size_t back_len = 0;
        st = bpe_decode_text(t, ids, n, &back, &back_len);
        ok = cv_is_ok(&st) && back_len == json_string_length(jdec) &&
             !memcmp(back, json_string_value(jdec), back_len);
        if (!ok)
            LOG_ERROR("tokenizer case %zu (\"%.60s\"): decodes to \"%.60s\", expected \"%.60s\"",
                      idx, text, back ? back : st.message, json_string_value(jdec));
        free(back);
    }
    free(ids);
    return ok;
}

/* The first of the keys that the object has. */
static json_t *any_of(json_t *root, const char *const *keys)
{
    for (; *keys; keys++)
        if (json_object_get(root, *keys)) return json_object_get(root, *keys);
    return NULL;
}

/* Every listed special token must have its listed id. */
static cv_status check_specials(const bpe_tokenizer *t, const char *json_path, json_t *root)
{
    json_t *map = json_object_get(root, "special_tokens"), *list = json_object_get(root, "added_tokens");
    const char *text;
    json_t *v;
    size_t i;
    json_object_foreach(map, text, v)
    {
        if (bpe_token_id(t, text) != json_integer_value(v))
            return cv_error(CV_FAILED_PRECONDITION, "%s: special token %s has id %d, expected %lld",
                            json_path, text, (int)bpe_token_id(t, text),
                            (long long)json_integer_value(v));
    }
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(json_object_get(v, "content"));
        json_int_t id = json_integer_value(json_object_get(v, "id"));
        if (!s || bpe_token_id(t, s) != id)
            return cv_error(CV_FAILED_PRECONDITION, "%s: added token %zu (%s) has id %d, expected %lld",
                            json_path, i, s ? s : "?", s ? (int)bpe_token_id(t, s) : -1,
                            (long long)id);
    }
    return cv_ok();
}

cv_status bpe_check_cases(const bpe_tokenizer *t, const char *json_path, size_t *n_cases,
                          size_t *n_failed)
{
    *n_cases = *n_failed = 0;
    json_error_t jerr;
    json_t *root = json_load_file(json_path, 0, &jerr);
    if (!root)
        return cv_error(CV_INVALID_ARGUMENT, "%s:%d: %s", json_path, jerr.line, jerr.text);
    static const char *const total_keys[] = {"vocab_size_with_specials", "len_tokenizer", NULL};
    static const char *const bpe_keys[] = {"n_mergeable", "n_regular", "n_bpe", NULL};
    cv_status st = cv_ok();
    json_t *cases = json_object_get(root, "cases");
    json_t *vs = any_of(root, total_keys), *nm = any_of(root, bpe_keys);
    if (!json_is_array(cases)) {
        st = cv_error(CV_INVALID_ARGUMENT, "%s: no \"cases\" array", json_path);
    } else if ((vs && json_integer_value(vs) != (json_int_t)bpe_vocab_size(t)) ||
               (nm && json_integer_value(nm) != (json_int_t)bpe_mergeable_count(t))) {
        st = cv_error(CV_FAILED_PRECONDITION,
                      "%s expects %lld ids (%lld mergeable); the vocabulary has %zu (%zu)",
                      json_path, (long long)json_integer_value(vs),
                      (long long)json_integer_value(nm), bpe_vocab_size(t),
                      bpe_mergeable_count(t));
    } else {
        st = check_specials(t, json_path, root);
        for (size_t i = 0; i < json_array_size(cases) && cv_is_ok(&st); i++) {
            (*n_cases)++;
            if (!check_case(t, i, json_array_get(cases, i), &st)) (*n_failed)++;
        }
    }
    json_decref(root);
    return st;
}
