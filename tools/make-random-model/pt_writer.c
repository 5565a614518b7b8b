/* torch.save-style checkpoint writer; see pt_writer.h. */
#include "pt_writer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const void *d, size_t n)
{
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = (b->n + n) * 2 + 256;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void op(buf *b, uint8_t c) { put(b, &c, 1); }
static void u32(buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, x, 4);
}
static void str(buf *b, const char *s) /* BINUNICODE */
{
    op(b, 'X');
    u32(b, (uint32_t)strlen(s));
    put(b, s, strlen(s));
}
static void integer(buf *b, int64_t v)
{
    if (v >= 0 && v < 256) {
        op(b, 'K');
        op(b, (uint8_t)v);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        op(b, 'J');
        u32(b, (uint32_t)(int32_t)v);
    } else {
        op(b, 0x8a); /* LONG1 */
        op(b, 8);
        for (int k = 0; k < 8; k++) op(b, (uint8_t)((uint64_t)v >> (8 * k)));
    }
}
static void global(buf *b, const char *mod, const char *name)
{
    op(b, 'c');
    put(b, mod, strlen(mod));
    op(b, '\n');
    put(b, name, strlen(name));
    op(b, '\n');
}
static void ordered_dict(buf *b)
{
    global(b, "collections", "OrderedDict");
    op(b, ')');
    op(b, 'R');
}
static void int_tuple(buf *b, int nd, const int64_t *v)
{
    op(b, '(');
    for (int k = 0; k < nd; k++) integer(b, v[k]);
    op(b, 't');
}

/* _rebuild_tensor_v2(persistent storage `key`, 0, shape, stride, False, OrderedDict()) */
static void tensor(buf *b, const char *key, int nd, const int64_t *shape)
{
    int64_t stride[PT_MAX_DIMS], n = 1;
    for (int k = nd - 1; k >= 0; k--) {
        stride[k] = n;
        n *= shape[k];
    }
    global(b, "torch._utils", "_rebuild_tensor_v2");
    op(b, '(');
    op(b, '(');
    str(b, "storage");
    global(b, "torch", "FloatStorage");
    str(b, key);
    str(b, "cpu");
    integer(b, n);
    op(b, 't');
    op(b, 'Q'); /* BINPERSID */
    integer(b, 0);
    int_tuple(b, nd, shape);
    int_tuple(b, nd, stride);
    op(b, 0x89); /* NEWFALSE */
    ordered_dict(b);
    op(b, 't');
    op(b, 'R');
}

/* The archive's top folder: the file's stem, as torch names it. */
static void stem(const char *path, char *out, size_t cap)
{
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    snprintf(out, cap, "%s", s);
    char *dot = strrchr(out, '.');
    if (dot) *dot = '\0';
}

static cv_status add_entry(zip_t *z, const char *name, const void *data, size_t n)
{
    zip_source_t *src = zip_source_buffer(z, data, n, 0);
    if (!src) return cv_error(CV_INTERNAL, "zip: %s", zip_strerror(z));
    zip_int64_t idx = zip_file_add(z, name, src, ZIP_FL_OVERWRITE);
    if (idx < 0) {
        zip_source_free(src);
        return cv_error(CV_INTERNAL, "zip: %s", zip_strerror(z));
    }
    zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    return cv_ok();
}

/* Writes pickle + storages (data[i] of n_floats[i] floats under key "i"). */
static cv_status write_archive(const char *path, const buf *pkl, const float *const *data,
                               const size_t *n_floats, size_t n)
{
    char top[256], name[512];
    stem(path, top, sizeof top);
    int err = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!z) return cv_error(CV_INTERNAL, "cannot create %s (libzip error %d)", path, err);
    snprintf(name, sizeof name, "%s/data.pkl", top);
    cv_status st = add_entry(z, name, pkl->p, pkl->n);
    static const char version[] = "3\n", order[] = "little";
    snprintf(name, sizeof name, "%s/version", top);
    if (cv_is_ok(&st)) st = add_entry(z, name, version, sizeof version - 1);
    snprintf(name, sizeof name, "%s/byteorder", top);
    if (cv_is_ok(&st)) st = add_entry(z, name, order, sizeof order - 1);
    for (size_t i = 0; cv_is_ok(&st) && i < n; i++) {
        snprintf(name, sizeof name, "%s/data/%zu", top, i);
        st = add_entry(z, name, data[i], n_floats[i] * sizeof(float));
    }
    if (!cv_is_ok(&st)) {
        zip_discard(z);
        return st;
    }
    if (zip_close(z) != 0) {
        st = cv_error(CV_INTERNAL, "writing %s: %s", path, zip_strerror(z));
        zip_discard(z);
    }
    return st;
}

cv_status pt_write_state_dict(const char *path, const pt_dict *d)
{
    buf b = {0};
    const float **data = calloc(d->count + 1, sizeof *data);
    size_t *nf = calloc(d->count + 1, sizeof *nf);
    if (!data || !nf) {
        free(data);
        free(nf);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    op(&b, 0x80);
    op(&b, 2);
    ordered_dict(&b);
    op(&b, '(');
    for (size_t i = 0; i < d->count; i++) {
        const pt_tensor *t = &d->items[i];
        char key[32];
        snprintf(key, sizeof key, "%zu", i);
        str(&b, t->name);
        tensor(&b, key, t->ndim, t->shape);
        data[i] = t->data;
        nf[i] = (size_t)pt_numel(t);
    }
    op(&b, 'u'); /* SETITEMS */
    op(&b, '.');
    cv_status st = b.oom ? cv_error(CV_RESOURCE_EXHAUSTED, "out of memory")
                         : write_archive(path, &b, data, nf, d->count);
    free(b.p);
    free(data);
    free(nf);
    return st;
}

cv_status pt_write_spk2info(const char *path, const char *const *names,
                            const float *const *embeddings, int n, int dim)
{
    buf b = {0};
    size_t *nf = calloc((size_t)n + 1, sizeof *nf);
    if (!nf) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    op(&b, 0x80);
    op(&b, 2);
    op(&b, '}'); /* EMPTY_DICT */
    op(&b, '(');
    for (int i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof key, "%d", i);
        str(&b, names[i]);
        op(&b, '}');
        str(&b, "embedding");
        tensor(&b, key, 2, (int64_t[]){1, dim});
        op(&b, 's'); /* SETITEM */
        nf[i] = (size_t)dim;
    }
    op(&b, 'u');
    op(&b, '.');
    cv_status st = b.oom ? cv_error(CV_RESOURCE_EXHAUSTED, "out of memory")
                         : write_archive(path, &b, embeddings, nf, (size_t)n);
    free(b.p);
    free(nf);
    return st;
}
