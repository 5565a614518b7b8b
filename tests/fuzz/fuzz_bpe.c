/* libFuzzer target for the BPE tokenizers, Whisper's (CosyVoice-300M) and
 * Qwen2's with CosyVoice3's added tokens (CosyVoice2 and 3). For any bytes,
 * with each tokenizer:
 * - encoding must not crash; well-formed UTF-8 must encode and decode back
 *   to the same bytes (Qwen2: to their NFC form), anything else must be
 *   rejected as INVALID_ARGUMENT;
 * - the bytes made valid (each ill-formed byte replaced by U+FFFD) must
 *   round-trip too, so every input reaches the pre-tokenizer and the merge;
 * - the bytes taken as one piece must merge exactly as a plain quadratic
 *   re-statement of the reference's loop does (tiktoken's for Whisper, the
 *   merge-list loop of transformers for Qwen2; the library uses a heap);
 * - the bytes read as token ids must decode or be rejected, never crash.
 * Vocabularies: $CV_BPE_VOCAB, else the usual search (source assets/);
 * $CV_QWEN_TOKENIZER_DIR, else tests/data/golden/cosyvoice2-tiny/
 * CosyVoice-BlankEN under the working directory (the source tree). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "text/bpe_merge.h"
#include "text/bpe_tokenizer.h"
#include "text/bpe_vocab.h"
#include "text/cosyvoice_tokens.h"
#include "text/nfc.h"

#include "../common/bpe_reference_merge.h"

static bpe_tokenizer *tok, *qwen;
static bpe_vocab vocab, qvocab; /* the same files, for the merge on raw bytes */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char path[4096];
    cv_status st = bpe_tokenizer_find_vocab(NULL, getenv("CV_BPE_VOCAB"), path, sizeof path);
    if (cv_is_ok(&st)) tok = bpe_tokenizer_load(path, &st);
    if (tok) st = bpe_vocab_load(&vocab, path);
    const char *qdir = getenv("CV_QWEN_TOKENIZER_DIR");
    if (!qdir) qdir = "tests/data/golden/cosyvoice2-tiny/CosyVoice-BlankEN";
    size_t n_added;
    const char *const *added = cosyvoice_added_tokens(3, &n_added);
    if (tok && cv_is_ok(&st)) qwen = bpe_tokenizer_load_qwen2(qdir, added, n_added, &st);
    if (qwen) st = bpe_vocab_load_hf(&qvocab, qdir, NULL, 0);
    if (!tok || !qwen || !cv_is_ok(&st)) {
        fprintf(stderr, "fuzz_bpe: %s\n", st.message);
        abort();
    }
    return 0;
}

/* s decodes back to `want` (s itself when NULL). */
static void check_round_trip_to(const bpe_tokenizer *t, const char *s, size_t len,
                                const char *want, size_t want_len)
{
    int32_t *ids;
    size_t n;
    cv_status st = bpe_encode(t, s, len, &ids, &n);
    if (st.code != CV_OK || n > want_len) abort();
    char *back;
    size_t back_len;
    st = bpe_decode(t, ids, n, &back, &back_len);
    if (st.code != CV_OK || back_len != want_len || memcmp(back, want, want_len) != 0) abort();
    free(back);
    free(ids);
}

static void check_round_trip(const char *s, size_t len)
{
    check_round_trip_to(tok, s, len, s, len);
    char *nfc;
    size_t nfc_len;
    if (utf8_nfc(s, len, &nfc, &nfc_len).code != CV_OK) abort();
    check_round_trip_to(qwen, s, len, nfc ? nfc : s, nfc_len);
    free(nfc);
}

/* Copies s with every byte that does not start a well-formed sequence
 * replaced by U+FFFD. */
static char *make_valid(const uint8_t *s, size_t len, size_t *out_len)
{
    char *out = malloc(3 * len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = 1;
        while (k < 4 && i + k < len && (s[i + k] & 0xC0) == 0x80) k++;
        while (k > 1 && !utf8_valid((const char *)s + i, k)) k--;
        if (utf8_valid((const char *)s + i, k)) {
            memcpy(out + o, s + i, k);
            o += k;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
        }
        i += k;
    }
    *out_len = o;
    return out;
}

static int32_t vocab_rank(const void *ctx, const uint8_t *s, size_t len)
{
    return bpe_vocab_rank(ctx, s, len);
}

static size_t reference_merge(const uint8_t *p, size_t len, int32_t *out)
{
    return bpe_reference_merge(vocab_rank, &vocab, p, len, out);
}

static int32_t pair_rank(const void *ctx, int32_t l, int32_t r, int32_t *merged)
{
    return bpe_pairs_find(&((const bpe_vocab *)ctx)->pairs, l, r, merged);
}

static void check_merge(const uint8_t *p, size_t len)
{
    if (len == 0 || len > 256) return; /* the references are quadratic */
    int32_t *got = malloc(len * sizeof *got), *want = malloc(len * sizeof *want);
    size_t n = bpe_merge(&vocab, p, len, got);
    size_t m = reference_merge(p, len, want);
    if (n != m || memcmp(got, want, n * sizeof *got) != 0) abort();
    /* the merge-list reference costs a pair lookup per pair per merge: kept
     * to short pieces here (test_qwen_tokenizer covers long ones) */
    if (len <= 64) {
        n = bpe_merge(&qvocab, p, len, got);
        for (size_t i = 0; i < len; i++) want[i] = bpe_vocab_rank(&qvocab, p + i, 1);
        m = bpe_reference_merge_list(pair_rank, &qvocab, want, len);
        if (n != m || memcmp(got, want, n * sizeof *got) != 0) abort();
    }
    free(got);
    free(want);
}

static void check_decode_raw(const uint8_t *data, size_t size)
{
    size_t nid = size / sizeof(int32_t);
    int32_t *raw = malloc(nid ? nid * sizeof *raw : 1);
    memcpy(raw, data, nid * sizeof *raw);
    /* Keep most ids in range so decoding itself gets exercised. */
    for (size_t i = 0; i + 1 < nid; i += 2) raw[i] = (int32_t)((uint32_t)raw[i] % 52000u);
    char *out;
    size_t out_len;
    cv_status st = bpe_decode(tok, raw, nid, &out, &out_len);
    if (st.code == CV_OK) free(out);
    else if (st.code != CV_INVALID_ARGUMENT || out) abort();
    for (size_t i = 0; i + 1 < nid; i += 2) raw[i] = (int32_t)((uint32_t)raw[i] % 152000u);
    st = bpe_decode_text(qwen, raw, nid, &out, &out_len);
    if (st.code == CV_OK) free(out);
    else if (st.code != CV_INVALID_ARGUMENT || out) abort();
    free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (utf8_valid((const char *)data, size)) {
        check_round_trip((const char *)data, size);
    } else {
        int32_t *ids;
        size_t n;
        cv_status st = bpe_encode(tok, (const char *)data, size, &ids, &n);
        if (st.code != CV_INVALID_ARGUMENT || ids || n) abort();
        st = bpe_encode(qwen, (const char *)data, size, &ids, &n);
        if (st.code != CV_INVALID_ARGUMENT || ids || n) abort();
        size_t vlen;
        char *valid = make_valid(data, size, &vlen);
        check_round_trip(valid, vlen);
        free(valid);
    }
    check_merge(data, size);
    check_decode_raw(data, size);
    return 0;
}
