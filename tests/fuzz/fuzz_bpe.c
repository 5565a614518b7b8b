/* libFuzzer target for the BPE tokenizer. Any bytes: encoding must not
 * crash; well-formed UTF-8 must encode and decode back to the same bytes,
 * anything else must be rejected as INVALID_ARGUMENT. The same bytes read as
 * token ids must decode or be rejected, never crash.
 * Vocabulary: $CV_BPE_VOCAB, else the usual search (source assets/). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "text/bpe_tokenizer.h"

static bpe_tokenizer *tok;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char path[4096];
    cv_status st = bpe_tokenizer_find_vocab(NULL, getenv("CV_BPE_VOCAB"), path, sizeof path);
    if (cv_is_ok(&st)) tok = bpe_tokenizer_load(path, &st);
    if (!tok) {
        fprintf(stderr, "fuzz_bpe: %s\n", st.message);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int32_t *ids;
    size_t n;
    cv_status st = bpe_encode(tok, (const char *)data, size, &ids, &n);
    if (!utf8_valid((const char *)data, size)) {
        if (st.code != CV_INVALID_ARGUMENT || ids || n) abort();
    } else {
        if (st.code != CV_OK || n > size) abort();
        char *back;
        size_t back_len;
        st = bpe_decode(tok, ids, n, &back, &back_len);
        if (st.code != CV_OK || back_len != size || memcmp(back, data, size) != 0) abort();
        free(back);
        free(ids);
    }

    size_t nid = size / sizeof(int32_t);
    int32_t *raw = malloc(nid ? nid * sizeof *raw : 1);
    if (!raw) return 0;
    memcpy(raw, data, nid * sizeof *raw);
    /* Keep most ids in range so decoding itself gets exercised. */
    for (size_t i = 0; i + 1 < nid; i += 2) raw[i] = (int32_t)((uint32_t)raw[i] % 52000u);
    char *out;
    size_t out_len;
    st = bpe_decode(tok, raw, nid, &out, &out_len);
    if (st.code == CV_OK) free(out);
    else if (st.code != CV_INVALID_ARGUMENT || out) abort();
    free(raw);
    return 0;
}
