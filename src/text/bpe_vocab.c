/* The parts of the BPE vocabulary both file formats share: building the
 * tables, the special-token finder and freeing. */
#include "text/bpe_vocab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cv_status bpe_read_file(const char *path, size_t max_size, char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return cv_error(CV_NOT_FOUND, "cannot open tokenizer file %s: %s", path,
                            strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 1 << 20;
            if (cap > max_size + 65536u) {
                free(buf);
                fclose(f);
                return cv_error(CV_INVALID_ARGUMENT, "%s is too large for a tokenizer file", path);
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

int32_t bpe_vocab_special(const bpe_vocab *v, const uint8_t *s, size_t len)
{
    if (len > v->max_special_len || !v->n_special) return -1;
    int32_t k = bpe_table_find(&v->special, s, len);
    return k < 0 ? -1 : v->sp_id[k];
}

/* The distinct lengths of the special texts, longest first, so the finder
 * probes only lengths that can match. */
static void collect_lengths(bpe_vocab *v)
{
    v->n_sp_lengths = 0;
    for (int32_t k = 0; k < v->n_special; k++) {
        size_t len = v->sp_off[k + 1] - v->sp_off[k], i = 0;
        while (i < v->n_sp_lengths && v->sp_lengths[i] > len) i++;
        if (i < v->n_sp_lengths && v->sp_lengths[i] == len) continue;
        if (v->n_sp_lengths == sizeof v->sp_lengths / sizeof *v->sp_lengths) {
            v->n_sp_lengths = 0; /* too many: the finder tries every length */
            return;
        }
        memmove(v->sp_lengths + i + 1, v->sp_lengths + i, (v->n_sp_lengths - i) * sizeof(size_t));
        v->sp_lengths[i] = len;
        v->n_sp_lengths++;
    }
}

const char *bpe_vocab_find_special(const bpe_vocab *v, const char *s, size_t len, size_t from,
                                   size_t *tok_len, int32_t *id)
{
    if (!v->n_special) return NULL;
    for (size_t p = from; p < len; p++) {
        uint8_t b = (uint8_t)s[p];
        if (!(v->sp_first[b >> 3] & (1u << (b & 7)))) continue;
        size_t room = len - p, n = v->n_sp_lengths ? v->n_sp_lengths : v->max_special_len;
        for (size_t i = 0; i < n; i++) {
            size_t l = v->n_sp_lengths ? v->sp_lengths[i] : v->max_special_len - i;
            if (l > room) continue;
            int32_t k = bpe_table_find(&v->special, (const uint8_t *)s + p, l);
            if (k >= 0) {
                *tok_len = l;
                *id = v->sp_id[k];
                return s + p;
            }
        }
    }
    return NULL;
}

cv_status bpe_vocab_add_specials(bpe_vocab *v, const char *what, const bpe_special_def *sp,
                                 size_t n_sp)
{
    size_t mergeable_bytes = v->off[v->n_mergeable];
    size_t sp_bytes = 0;
    for (size_t i = 0; i < n_sp; i++) sp_bytes += sp[i].len;
    if (n_sp > (size_t)INT32_MAX - (size_t)v->n_mergeable || sp_bytes > UINT32_MAX / 2)
        return cv_error(CV_INVALID_ARGUMENT, "%s: too many special tokens", what);
    v->sp_blob = malloc(sp_bytes ? sp_bytes : 1);
    v->sp_off = malloc((n_sp + 1) * sizeof *v->sp_off);
    v->sp_id = malloc((n_sp ? n_sp : 1) * sizeof *v->sp_id);
    uint8_t *blob = realloc(v->blob, mergeable_bytes + sp_bytes + 1);
    uint32_t *off = realloc(v->off, ((size_t)v->n_mergeable + n_sp + 1) * sizeof *off);
    /* the mergeable table reads the arrays where they now are */
    if (blob) v->mergeable.blob = v->blob = blob;
    if (off) v->mergeable.off = v->off = off;
    if (!v->sp_blob || !v->sp_off || !v->sp_id || !blob || !off ||
        !bpe_table_init(&v->special, n_sp, v->sp_blob, v->sp_off))
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", what);
    size_t o = 0, bo = mergeable_bytes;
    int32_t next = v->n_mergeable;
    v->sp_off[0] = 0;
    for (size_t i = 0; i < n_sp; i++) {
        int32_t k = v->n_special;
        if (sp[i].len == 0) return cv_error(CV_INVALID_ARGUMENT, "%s: empty special token", what);
        v->sp_off[k] = (uint32_t)o;
        memcpy(v->sp_blob + o, sp[i].text, sp[i].len);
        v->sp_off[k + 1] = (uint32_t)(o + sp[i].len);
        int32_t id = sp[i].id < 0 ? next : sp[i].id;
        if (id > next)
            return cv_error(CV_INVALID_ARGUMENT,
                            "%s: special token \"%.*s\" has id %d; the next free id is %d "
                            "(ids must follow each other)",
                            what, (int)sp[i].len, sp[i].text, (int)id, (int)next);
        if (id >= v->n_mergeable && id < next)
            return cv_error(CV_INVALID_ARGUMENT, "%s: special token id %d given twice", what,
                            (int)id);
        if (!bpe_table_insert(&v->special, k))
            return cv_error(CV_INVALID_ARGUMENT, "%s: special token \"%.*s\" given twice", what,
                            (int)sp[i].len, sp[i].text);
        v->sp_id[k] = id;
        v->n_special++;
        o += sp[i].len;
        if (sp[i].len > v->max_special_len) v->max_special_len = sp[i].len;
        uint8_t b = (uint8_t)sp[i].text[0];
        v->sp_first[b >> 3] |= (uint8_t)(1u << (b & 7));
        if (id == next) { /* a new id: its text is what it decodes to */
            v->off[next] = (uint32_t)bo;
            memcpy(v->blob + bo, sp[i].text, sp[i].len);
            bo += sp[i].len;
            v->off[++next] = (uint32_t)bo;
        }
    }
    v->n_total = next;
    collect_lengths(v);
    return cv_ok();
}

cv_status bpe_vocab_build(bpe_vocab *v, const char *what, uint8_t *blob, uint32_t *off,
                          int32_t n_mergeable)
{
    v->blob = blob;
    v->off = off;
    v->n_mergeable = n_mergeable;
    v->n_total = n_mergeable;
    if (n_mergeable < 256) return cv_error(CV_INVALID_ARGUMENT, "%s: too few tokens", what);
    for (int32_t id = 0; id < n_mergeable; id++) {
        size_t len = off[id + 1] - off[id];
        if (len > v->max_len) v->max_len = len;
    }
    if (!bpe_table_init(&v->mergeable, (size_t)n_mergeable, v->blob, v->off))
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory loading %s", what);
    for (int32_t id = 0; id < n_mergeable; id++) {
        /* tiktoken's empty placeholder (see bpe_vocab_tiktoken.c) is no key */
        if (off[id + 1] == off[id]) continue;
        if (!bpe_table_insert(&v->mergeable, id))
            return cv_error(CV_INVALID_ARGUMENT, "%s: token of id %d appears twice", what,
                            (int)id);
    }
    /* Byte-level BPE starts from single bytes: all 256 must be tokens. */
    for (unsigned b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        if (bpe_table_find(&v->mergeable, &byte, 1) < 0)
            return cv_error(CV_INVALID_ARGUMENT, "%s: byte 0x%02x has no token", what, b);
    }
    return cv_ok();
}

void bpe_vocab_free(bpe_vocab *v)
{
    bpe_table_free(&v->mergeable);
    bpe_table_free(&v->special);
    bpe_pairs_free(&v->pairs);
    free(v->blob);
    free(v->off);
    free(v->sp_blob);
    free(v->sp_off);
    free(v->sp_id);
    memset(v, 0, sizeof *v);
}
