#include "text/bpe_vocab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "text/whisper_specials.h"

/* Whisper's file is 0.8 MB; anything far larger is not a vocabulary. */
#define VOCAB_FILE_MAX (64u << 20)

static cv_status read_file(const char *path, char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return cv_error(CV_NOT_FOUND, "cannot open tokenizer vocabulary %s: %s", path,
                            strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 1 << 20;
            if (cap > VOCAB_FILE_MAX + 65536u) {
                free(buf);
                fclose(f);
                return cv_error(CV_INVALID_ARGUMENT, "%s is too large for a vocabulary", path);
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory reading %s", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return cv_error(CV_UNAVAILABLE, "error reading %s", path);
    }
    *data = buf;
    *size = len;
    return cv_ok();
}

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

static cv_status parse(bpe_vocab *v, const char *path, char *data, size_t size)
{
    size_t n = split_lines(data, size, NULL);
    if (n == 0) return cv_error(CV_INVALID_ARGUMENT, "%s: empty vocabulary", path);
    if (n > (size_t)INT32_MAX - WHISPER_N_SPECIALS)
        return cv_error(CV_INVALID_ARGUMENT, "%s: too many tokens", path);
    line *lines = malloc(n * sizeof *lines);
    size_t *by_rank = malloc(n * sizeof *by_rank);          /* rank -> line */
    uint8_t *tmp = malloc(size);                             /* decoded, in line order */
    uint32_t *tmp_off = malloc((n + 1) * sizeof *tmp_off);
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
    char name[32];
    size_t special_bytes = 0;
    for (size_t i = 0; i < WHISPER_N_SPECIALS; i++)
        special_bytes += whisper_special_name(i, name, sizeof name);
    size_t n_total = n + WHISPER_N_SPECIALS;
    v->blob = malloc(pos + special_bytes);
    v->off = malloc((n_total + 1) * sizeof *v->off);
    if (!v->blob || !v->off) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", path);
        goto done;
    }
    size_t o = 0;
    for (size_t r = 0; r < n; r++) {
        size_t i = by_rank[r], len = tmp_off[i + 1] - tmp_off[i];
        v->off[r] = (uint32_t)o;
        memcpy(v->blob + o, tmp + tmp_off[i], len);
        o += len;
        if (len > v->max_len) v->max_len = len;
    }
    for (size_t i = 0; i < WHISPER_N_SPECIALS; i++) {
        size_t len = whisper_special_name(i, name, sizeof name);
        v->off[n + i] = (uint32_t)o;
        memcpy(v->blob + o, name, len);
        o += len;
        if (len > v->max_special_len) v->max_special_len = len;
    }
    v->off[n_total] = (uint32_t)o;
    v->n_mergeable = (int32_t)n;
    v->n_total = (int32_t)n_total;

    if (!bpe_table_init(&v->mergeable, n, v->blob, v->off) ||
        !bpe_table_init(&v->special, WHISPER_N_SPECIALS, v->blob, v->off)) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", path);
        goto done;
    }
    for (size_t r = 0; r < n; r++) {
        if (!bpe_table_insert(&v->mergeable, (int32_t)r)) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: token of rank %zu appears twice", path, r);
            goto done;
        }
    }
    for (size_t i = 0; i < WHISPER_N_SPECIALS; i++)
        bpe_table_insert(&v->special, (int32_t)(n + i));
    /* Byte-level BPE starts from single bytes: all 256 must be tokens. */
    for (unsigned b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        if (bpe_table_find(&v->mergeable, &byte, 1) < 0) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: byte 0x%02x has no token", path, b);
            goto done;
        }
    }
done:
    free(lines);
    free(by_rank);
    free(tmp);
    free(tmp_off);
    return st;
}

cv_status bpe_vocab_load(bpe_vocab *v, const char *path)
{
    memset(v, 0, sizeof *v);
    char *data = NULL;
    size_t size = 0;
    cv_status st = read_file(path, &data, &size);
    if (!cv_is_ok(&st)) return st;
    st = parse(v, path, data, size);
    free(data);
    if (!cv_is_ok(&st)) bpe_vocab_free(v);
    return st;
}

void bpe_vocab_free(bpe_vocab *v)
{
    bpe_table_free(&v->mergeable);
    bpe_table_free(&v->special);
    free(v->blob);
    free(v->off);
    memset(v, 0, sizeof *v);
}
