/* Test helper: builds torch.save-style checkpoints byte by byte (there is
 * no PyTorch here): a pickle writer emitting the opcodes torch uses, and a
 * zip writer (libzip, stored entries) for the archive around it. */
#ifndef CV_TEST_PT_BUILDER_H
#define CV_TEST_PT_BUILDER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void b_put(bytes *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    if (n) memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void b_op(bytes *b, uint8_t op) { b_put(b, &op, 1); }
static void b_u32(bytes *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    b_put(b, x, 4);
}
static void b_free(bytes *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* --- pickle opcodes --- */
static void pk_proto(bytes *b)
{
    b_op(b, 0x80);
    b_op(b, 2);
}
static void pk_str(bytes *b, const char *s)
{
    b_op(b, 'X');
    b_u32(b, (uint32_t)strlen(s));
    b_put(b, s, strlen(s));
}
static void pk_int(bytes *b, int64_t v)
{
    if (v >= 0 && v < 256) {
        b_op(b, 'K');
        b_op(b, (uint8_t)v);
    } else if (v >= 0 && v < 65536) {
        b_op(b, 'M');
        b_op(b, (uint8_t)v);
        b_op(b, (uint8_t)(v >> 8));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        b_op(b, 'J');
        b_u32(b, (uint32_t)(int32_t)v);
    } else {
        b_op(b, 0x8a);
        b_op(b, 8);
        for (int k = 0; k < 8; k++) b_op(b, (uint8_t)((uint64_t)v >> (8 * k)));
    }
}
static void pk_global(bytes *b, const char *mod, const char *name)
{
    b_op(b, 'c');
    b_put(b, mod, strlen(mod));
    b_op(b, '\n');
    b_put(b, name, strlen(name));
    b_op(b, '\n');
}
static void pk_int_tuple(bytes *b, int nd, const int64_t *v)
{
    b_op(b, '(');
    for (int k = 0; k < nd; k++) pk_int(b, v[k]);
    b_op(b, 't');
}
static void pk_ordered_dict(bytes *b)
{
    pk_global(b, "collections", "OrderedDict");
    b_op(b, ')');
    b_op(b, 'R');
}

/* _rebuild_tensor_v2((storage...), offset, size, stride, False, OrderedDict()) */
static void pk_tensor(bytes *b, const char *storage_class, const char *key, int64_t numel, int64_t offset,
                      int nd, const int64_t *shape, const int64_t *stride)
{
    pk_global(b, "torch._utils", "_rebuild_tensor_v2");
    b_op(b, '(');
    b_op(b, '(');
    pk_str(b, "storage");
    pk_global(b, "torch", storage_class);
    pk_str(b, key);
    pk_str(b, "cpu");
    pk_int(b, numel);
    b_op(b, 't');
    b_op(b, 'Q');
    pk_int(b, offset);
    pk_int_tuple(b, nd, shape);
    pk_int_tuple(b, nd, stride);
    b_op(b, 0x89);
    pk_ordered_dict(b);
    b_op(b, 't');
    b_op(b, 'R');
}

/* A contiguous float tensor of shape [n] or [r,c] on its own storage. */
static void pk_plain(bytes *b, const char *key, int nd, const int64_t *shape)
{
    int64_t stride[8], n = 1;
    for (int k = nd - 1; k >= 0; k--) {
        stride[k] = n;
        n *= shape[k];
    }
    pk_tensor(b, "FloatStorage", key, n, 0, nd, shape, stride);
}

/* --- zip archive --- */
typedef struct archive {
    const char *names[64];
    bytes data[64];
    int n;
} archive;

static void ar_add(archive *a, const char *name, const void *d, size_t n)
{
    a->names[a->n] = name;
    memset(&a->data[a->n], 0, sizeof(bytes));
    b_put(&a->data[a->n], d, n);
    a->n++;
}
static void ar_add_floats(archive *a, const char *name, const float *v, size_t n)
{
    ar_add(a, name, v, n * sizeof(float)); /* the test host is little-endian */
}

/* Writes the archive with stored (uncompressed) entries, as torch does. */
static bytes ar_build(archive *a)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_source_keep(src);
    zip_t *za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    if (!za) abort();
    for (int k = 0; k < a->n; k++) {
        zip_source_t *s = zip_source_buffer(za, a->data[k].p ? a->data[k].p : (const void *)"", a->data[k].n, 0);
        zip_int64_t idx = zip_file_add(za, a->names[k], s, ZIP_FL_ENC_UTF_8);
        if (idx < 0) abort();
        zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    if (zip_close(za) != 0) abort();
    bytes out = {0};
    if (zip_source_open(src) != 0) abort();
    uint8_t buf[4096];
    zip_int64_t r;
    while ((r = zip_source_read(src, buf, sizeof buf)) > 0) b_put(&out, buf, (size_t)r);
    zip_source_close(src);
    zip_source_free(src);
    for (int k = 0; k < a->n; k++) b_free(&a->data[k]);
    a->n = 0;
    zip_error_fini(&ze);
    return out;
}

#endif
