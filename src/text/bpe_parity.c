#include "text/bpe_parity.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"

/* Compares one case; logs the first difference. */
static bool check_case(const bpe_tokenizer *t, size_t idx, json_t *c, cv_status *err)
{
    json_t *jtext = json_object_get(c, "text");
    json_t *jids = json_object_get(c, "ids");
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
    free(ids);
    return ok;
}

cv_status bpe_check_cases(const bpe_tokenizer *t, const char *json_path, size_t *n_cases,
                          size_t *n_failed)
{
    *n_cases = *n_failed = 0;
    json_error_t jerr;
    json_t *root = json_load_file(json_path, 0, &jerr);
    if (!root)
        return cv_error(CV_INVALID_ARGUMENT, "%s:%d: %s", json_path, jerr.line, jerr.text);
    cv_status st = cv_ok();
    json_t *cases = json_object_get(root, "cases");
    json_t *vs = json_object_get(root, "vocab_size_with_specials");
    json_t *nm = json_object_get(root, "n_mergeable");
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
        for (size_t i = 0; i < json_array_size(cases) && cv_is_ok(&st); i++) {
            (*n_cases)++;
            if (!check_case(t, i, json_array_get(cases, i), &st)) (*n_failed)++;
        }
    }
    json_decref(root);
    return st;
}

int bpe_parity_check_dir(const char *golden_dir, const char *vocab_path)
{
    char vocab[4096], json[4096];
    cv_status st = bpe_tokenizer_find_vocab(golden_dir, vocab_path, vocab, sizeof vocab);
    bpe_tokenizer *t = cv_is_ok(&st) ? bpe_tokenizer_load(vocab, &st) : NULL;
    if (!t) {
        printf("tokenizer: FAIL (%s)\n", st.message);
        return 1;
    }
    snprintf(json, sizeof json, "%s/%s", golden_dir, BPE_GOLDEN_FILENAME);
    size_t n = 0, failed = 0;
    st = bpe_check_cases(t, json, &n, &failed);
    bpe_tokenizer_free(t);
    if (!cv_is_ok(&st)) {
        printf("tokenizer: FAIL (%s)\n", st.message);
        return 1;
    }
    printf("tokenizer: %s (%zu/%zu cases identical, vocabulary %s)\n",
           failed || n == 0 ? "FAIL" : "OK", n - failed, n, vocab);
    return failed || n == 0 ? 1 : 0;
}
