/* torch.save-style checkpoint writer; see pt_write.h. */
#include "model/io/pt_write.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pt_write stores host-order storages: little-endian hosts only"
#endif

#define MAX_DEPTH 32

typedef struct storage {
    const void *data;
    size_t bytes;
} storage;

struct pt_writer {
    uint8_t *p; /* the pickle */
    size_t n, cap;
    storage *st; /* one per tensor, named data/0, data/1, ... */
    size_t n_st, cap_st;
    void **owned; /* int32 copies made by pt_writer_dict_tensor */
    size_t n_owned;
    bool ordered[MAX_DEPTH]; /* per open dict */
    bool keyed;              /* a key is waiting for its value */
    int depth;
    bool done;               /* the top-level dict was closed */
    char err[CV_STATUS_MSG_MAX];
};

static void fail(pt_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(pt_writer *w, const char *fmt, ...)
{
    if (w->err[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof w->err, fmt, ap);
    va_end(ap);
}

static void put(pt_writer *w, const void *d, size_t n)
{
    if (w->err[0]) return;
    if (w->n + n > w->cap) {
        size_t cap = (w->n + n) * 2 + 256;
        uint8_t *p = realloc(w->p, cap);
        if (!p) {
            fail(w, "out of memory");
            return;
        }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->n, d, n);
    w->n += n;
}

static void op(pt_writer *w, uint8_t c) { put(w, &c, 1); }

static void u32(pt_writer *w, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(w, x, 4);
}

static void str(pt_writer *w, const char *s) /* BINUNICODE */
{
    op(w, 'X');
    u32(w, (uint32_t)strlen(s));
    put(w, s, strlen(s));
}

static void integer(pt_writer *w, int64_t v)
{
    if (v >= 0 && v < 256) {
        op(w, 'K');
        op(w, (uint8_t)v);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        op(w, 'J');
        u32(w, (uint32_t)(int32_t)v);
    } else {
        op(w, 0x8a); /* LONG1 */
        op(w, 8);
        for (int k = 0; k < 8; k++) op(w, (uint8_t)((uint64_t)v >> (8 * k)));
    }
}

static void global(pt_writer *w, const char *mod, const char *name)
{
    op(w, 'c');
    put(w, mod, strlen(mod));
    op(w, '\n');
    put(w, name, strlen(name));
    op(w, '\n');
}

static void ordered_dict(pt_writer *w)
{
    global(w, "collections", "OrderedDict");
    op(w, ')');
    op(w, 'R');
}

static void int_tuple(pt_writer *w, int nd, const int64_t *v)
{
    op(w, '(');
    for (int k = 0; k < nd; k++) integer(w, v[k]);
    op(w, 't');
}

/* A value is about to be written: it needs a key (inside a dict), or is
 * the top level. */
static bool value_slot(pt_writer *w, const char *what)
{
    if (w->err[0]) return false;
    if (w->done) {
        fail(w, "%s after the top-level dict was closed", what);
        return false;
    }
    if (w->depth > 0 && !w->keyed) {
        fail(w, "%s without a key", what);
        return false;
    }
    if (w->depth == 0 && strcmp(what, "dict")) {
        fail(w, "the top level must be a dict");
        return false;
    }
    w->keyed = false;
    return true;
}

pt_writer *pt_writer_new(void) { return calloc(1, sizeof(pt_writer)); }

void pt_writer_free(pt_writer *w)
{
    if (!w) return;
    free(w->p);
    free(w->st);
    for (size_t i = 0; i < w->n_owned; i++) free(w->owned[i]);
    free(w->owned);
    free(w);
}

void pt_writer_dict_begin(pt_writer *w, bool ordered)
{
    if (!w || !value_slot(w, "dict")) return;
    if (w->depth >= MAX_DEPTH) {
        fail(w, "dicts nest deeper than %d", MAX_DEPTH);
        return;
    }
    if (w->depth == 0 && w->n == 0) {
        op(w, 0x80); /* PROTO 2 */
        op(w, 2);
    }
    if (ordered) ordered_dict(w);
    else op(w, '}'); /* EMPTY_DICT */
    op(w, '(');      /* MARK: the items follow, then SETITEMS */
    w->ordered[w->depth++] = ordered;
}

void pt_writer_dict_end(pt_writer *w)
{
    if (!w || w->err[0]) return;
    if (w->depth == 0 || w->keyed) {
        fail(w, w->keyed ? "a key without a value" : "dict_end without dict_begin");
        return;
    }
    op(w, 'u'); /* SETITEMS */
    if (--w->depth == 0) w->done = true;
}

void pt_writer_key(pt_writer *w, const char *key)
{
    if (!w || w->err[0]) return;
    if (w->depth == 0 || w->keyed) {
        fail(w, w->depth ? "two keys in a row" : "a key outside a dict");
        return;
    }
    str(w, key);
    w->keyed = true;
}

int pt_writer_tensor(pt_writer *w, pt_dtype dtype, int ndim, const int64_t *shape,
                     const void *data)
{
    if (!w || !value_slot(w, "tensor")) return -1;
    if (ndim < 0 || ndim > PT_MAX_DIMS) {
        fail(w, "tensor with %d dimensions", ndim);
        return -1;
    }
    static const char *const storage_class[] = {
        [PT_F32] = "FloatStorage", [PT_F16] = "HalfStorage", [PT_BF16] = "BFloat16Storage",
        [PT_F64] = "DoubleStorage", [PT_I64] = "LongStorage", [PT_I32] = "IntStorage",
    };
    int64_t stride[PT_MAX_DIMS], numel = 1;
    for (int k = ndim - 1; k >= 0; k--) {
        if (shape[k] < 0 || (shape[k] && numel > (INT64_C(1) << 40) / shape[k])) {
            fail(w, "tensor of impossible shape");
            return -1;
        }
        stride[k] = numel;
        numel *= shape[k];
    }
    if (w->n_st == w->cap_st) {
        size_t cap = w->cap_st ? w->cap_st * 2 : 16;
        storage *s = realloc(w->st, cap * sizeof *s);
        if (!s) {
            fail(w, "out of memory");
            return -1;
        }
        w->st = s;
        w->cap_st = cap;
    }
    const size_t key = w->n_st;
    w->st[w->n_st++] = (storage){data, (size_t)numel * pt_dtype_size(dtype)};
    char name[24];
    snprintf(name, sizeof name, "%zu", key);
    /* _rebuild_tensor_v2(persistent ('storage', torch.<T>Storage, key, 'cpu', numel),
     *                    0, shape, stride, False, OrderedDict()) */
    global(w, "torch._utils", "_rebuild_tensor_v2");
    op(w, '(');
    op(w, '(');
    str(w, "storage");
    global(w, "torch", storage_class[dtype]);
    str(w, name);
    str(w, "cpu");
    integer(w, numel);
    op(w, 't');
    op(w, 'Q'); /* BINPERSID */
    integer(w, 0);
    int_tuple(w, ndim, shape);
    int_tuple(w, ndim, stride);
    op(w, 0x89); /* NEWFALSE */
    ordered_dict(w);
    op(w, 't');
    op(w, 'R');
    op(w, 'r'); /* LONG_BINPUT: memo slot = the handle */
    u32(w, (uint32_t)key);
    return w->err[0] ? -1 : (int)key;
}

void pt_writer_same(pt_writer *w, int handle)
{
    if (!w || !value_slot(w, "tensor")) return;
    if (handle < 0 || (size_t)handle >= w->n_st) {
        fail(w, "no tensor with handle %d", handle);
        return;
    }
    op(w, 'j'); /* LONG_BINGET */
    u32(w, (uint32_t)handle);
}

/* The archive's top folder: the file's stem, as torch names it. */
static void stem(const char *path, char *out, size_t cap)
{
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    snprintf(out, cap, "%s", s);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = '\0';
}

static cv_status add_entry(zip_t *z, const char *name, const void *data, size_t n)
{
    zip_source_t *src = zip_source_buffer(z, n ? data : "", n, 0);
    if (!src) return cv_error(CV_INTERNAL, "zip: %s", zip_strerror(z));
    zip_int64_t idx = zip_file_add(z, name, src, ZIP_FL_OVERWRITE);
    if (idx < 0) {
        zip_source_free(src);
        return cv_error(CV_INTERNAL, "zip: %s", zip_strerror(z));
    }
    zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    return cv_ok();
}

cv_status pt_writer_save(pt_writer *w, const char *path)
{
    if (!w) return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    if (!w->err[0] && !w->done) fail(w, "the top-level dict is not closed");
    if (w->err[0]) return cv_error(CV_INTERNAL, "writing %s: %s", path, w->err);
    op(w, '.'); /* STOP */
    if (w->err[0]) return cv_error(CV_RESOURCE_EXHAUSTED, "writing %s: %s", path, w->err);
    char top[256], name[512];
    stem(path, top, sizeof top);
    int err = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        cv_status st = cv_error(CV_INVALID_ARGUMENT, "cannot create %s: %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return st;
    }
    snprintf(name, sizeof name, "%s/data.pkl", top);
    cv_status st = add_entry(z, name, w->p, w->n);
    static const char version[] = "3\n", order[] = "little";
    snprintf(name, sizeof name, "%s/byteorder", top);
    if (cv_is_ok(&st)) st = add_entry(z, name, order, sizeof order - 1);
    for (size_t i = 0; cv_is_ok(&st) && i < w->n_st; i++) {
        snprintf(name, sizeof name, "%s/data/%zu", top, i);
        st = add_entry(z, name, w->st[i].data, w->st[i].bytes);
    }
    snprintf(name, sizeof name, "%s/version", top);
    if (cv_is_ok(&st)) st = add_entry(z, name, version, sizeof version - 1);
    if (!cv_is_ok(&st)) {
        zip_discard(z);
        return st;
    }
    if (zip_close(z) != 0) {
        st = cv_error(CV_INVALID_ARGUMENT, "writing %s: %s", path, zip_strerror(z));
        zip_discard(z);
    }
    w->n--; /* the STOP again, should save be called twice */
    return st;
}

int pt_writer_dict_tensor(pt_writer *w, const pt_tensor *t)
{
    if (!w) return -1;
    if (!t->idata || (t->dtype != PT_I64 && t->dtype != PT_I32))
        return pt_writer_tensor(w, PT_F32, t->ndim, t->shape, t->data);
    if (t->dtype == PT_I64) return pt_writer_tensor(w, PT_I64, t->ndim, t->shape, t->idata);
    const int64_t n = pt_numel(t); /* idata is int64 in memory: an int32 copy */
    void **owned = realloc(w->owned, (w->n_owned + 1) * sizeof *owned);
    int32_t *c = owned ? malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1)) : NULL;
    if (owned) w->owned = owned;
    if (!c) {
        fail(w, "out of memory");
        return -1;
    }
    w->owned[w->n_owned++] = c;
    for (int64_t k = 0; k < n; k++) c[k] = (int32_t)t->idata[k];
    return pt_writer_tensor(w, PT_I32, t->ndim, t->shape, c);
}

cv_status pt_write_state_dict(const char *path, const pt_dict *d)
{
    pt_writer *w = pt_writer_new();
    if (!w) return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    pt_writer_dict_begin(w, true);
    for (size_t i = 0; i < d->count; i++) {
        pt_writer_key(w, d->items[i].name);
        pt_writer_dict_tensor(w, &d->items[i]);
    }
    pt_writer_dict_end(w);
    cv_status st = pt_writer_save(w, path);
    pt_writer_free(w);
    return st;
}
