/* tiktoken vocabulary files (Whisper's multilingual.tiktoken): one
 * "base64(bytes) rank" per line; the rank is the token's id and its merge
 * priority. Whisper's special tokens follow the file's tokens. */
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "text/bpe_vocab.h"
#include "text/whisper_specials.h"

/* Whisper's file is 0.8 MB; anything far larger is not a vocabulary. */
#define VOCAB_FILE_MAX (64u << 20)

/* Parses a rank: decimal digits only, below limit. */
static bool parse_rank(const char *s, size_t n, size_t limit, size_t *out)
{
    if (n == 0 || n > 10) return false;
    size_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        r = r * 10 + (size_t)(s[i] - '0');
    }
    if (r >= limit) return false;
    *out = r;
    return true;
}

/* Whisper's file ends with "= 50256": the slot of GPT-2's <|endoftext|>,
 * which Python's lenient base64 decodes to an empty token. It still counts
 * (special ids start after it) but can never come out of a merge. So text
 * made only of '=' padding is accepted as the empty token. */
static bool decode_token(const char *b64, size_t n, uint8_t *out, size_t *len)
{
    if (strspn(b64, "=") >= n) {
        *len = 0;
        return true;
    }
    return cv_base64_decode(b64, n, out, len);
}

typedef struct line {
    const char *p;
    size_t n;
} line;

/* Splits data into its non-empty lines (tiktoken's loader skips blank ones),
 * without a trailing '\r'. */
static size_t split_lines(char *data, size_t size, line *out)
{
    size_t count = 0, i = 0;
    while (i < size) {
        const char *nl = memchr(data + i, '\n', size - i);
        size_t end = nl ? (size_t)(nl - data) : size;
        size_t n = end - i;
        if (n && data[i + n - 1] == '\r') n--;
        if (n) {
            if (out) out[count] = (line){data + i, n};
            count++;
        }
        i = end + 1;
    }
    return count;
}

/* The file's tokens, in rank order, into *blob_out / *off_out. */
static cv_status parse(const char *path, char *data, size_t size, uint8_t **blob_out,
                       uint32_t **off_out, size_t *n_out)
{
    size_t n = split_lines(data, size, NULL);
    if (n == 0) return cv_error(CV_INVALID_ARGUMENT, "%s: empty vocabulary", path);
    if (n > (size_t)INT32_MAX - WHISPER_N_SPECIALS)
        return cv_error(CV_INVALID_ARGUMENT, "%s: too many tokens", path);
    line *lines = malloc(n * sizeof *lines);
    size_t *by_rank = malloc(n * sizeof *by_rank);          /* rank -> line */
    uint8_t *tmp = malloc(size);                             /* decoded, in line order */
    uint32_t *tmp_off = malloc((n + 1) * sizeof *tmp_off);
    uint8_t *blob = NULL;
    uint32_t *off = NULL;
    cv_status st = cv_ok();
    if (!lines || !by_rank || !tmp || !tmp_off) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", path);
        goto done;
    }
    split_lines(data, size, lines);
    for (size_t r = 0; r < n; r++) by_rank[r] = SIZE_MAX;

    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        const char *sp = memchr(lines[i].p, ' ', lines[i].n);
        size_t klen = sp ? (size_t)(sp - lines[i].p) : 0, blen, rank;
        /* Decoding never outgrows its base64 text, so tmp (file size) holds all. */
        if (!sp || klen == 0 || !decode_token(lines[i].p, klen, tmp + pos, &blen) ||
            !parse_rank(sp + 1, lines[i].n - klen - 1, n, &rank)) {
            st = cv_error(CV_INVALID_ARGUMENT,
                          "%s: line %zu is not \"base64 rank\" with a rank below %zu", path,
                          i + 1, n);
            goto done;
        }
        if (by_rank[rank] != SIZE_MAX) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: rank %zu appears twice", path, rank);
            goto done;
        }
        by_rank[rank] = i;
        tmp_off[i] = (uint32_t)pos;
        pos += blen;
        tmp_off[i + 1] = (uint32_t)pos;
    }

    /* n distinct ranks below n: every rank 0..n-1 is present, so ids are dense. */
    blob = malloc(pos ? pos : 1);
    off = malloc((n + 1) * sizeof *off);
    if (!blob || !off) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", path);
        goto done;
    }
    size_t o = 0;
    for (size_t r = 0; r < n; r++) {
        size_t i = by_rank[r], len = tmp_off[i + 1] - tmp_off[i];
        off[r] = (uint32_t)o;
        memcpy(blob + o, tmp + tmp_off[i], len);
        o += len;
    }
    off[n] = (uint32_t)o;
done:
    free(lines);
    free(by_rank);
    free(tmp);
    free(tmp_off);
    if (!cv_is_ok(&st)) {
        free(blob);
        free(off);
        return st;
    }
    *blob_out = blob;
    *off_out = off;
    *n_out = n;
    return st;
}

cv_status bpe_vocab_load(bpe_vocab *v, const char *path)
{
    memset(v, 0, sizeof *v);
    char *data = NULL;
    size_t size = 0, n = 0;
    cv_status st = bpe_read_file(path, VOCAB_FILE_MAX, &data, &size);
    if (!cv_is_ok(&st)) return st;
    uint8_t *blob = NULL;
    uint32_t *off = NULL;
    st = parse(path, data, size, &blob, &off, &n);
    free(data);
    if (!cv_is_ok(&st)) return st;

    v->whole_piece_first = true;
    st = bpe_vocab_build(v, path, blob, off, (int32_t)n);
    char(*names)[32] = malloc(WHISPER_N_SPECIALS * sizeof *names);
    bpe_special_def *sp = malloc(WHISPER_N_SPECIALS * sizeof *sp);
    if (cv_is_ok(&st) && (!names || !sp))
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", path);
    if (cv_is_ok(&st)) {
        for (size_t i = 0; i < WHISPER_N_SPECIALS; i++)
            sp[i] = (bpe_special_def){names[i], whisper_special_name(i, names[i], 32), -1};
        st = bpe_vocab_add_specials(v, path, sp, WHISPER_N_SPECIALS);
    }
    free(names);
    free(sp);
    if (!cv_is_ok(&st)) bpe_vocab_free(v);
    return st;
}
