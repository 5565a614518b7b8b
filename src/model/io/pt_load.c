/* Public entry points of the .pt loader and tensor materialisation: each
 * tensor view recorded by the pickle is checked against its storage and
 * copied out as contiguous C-order float32 (plus int64 for integer
 * storages). Storages are read one at a time, so peak memory is the
 * output plus the largest storage. */
#include "model/io/pt_load.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model/io/pt_internal.h"
#include "nn/weights.h"

/* Output allowed per archive byte, plus a floor: generous for real files
 * (f16 -> f32 doubles, tied weights repeat), tight for hostile ones. */
#define BUDGET_PER_BYTE 16u
#define BUDGET_FLOOR (64ull << 20)

size_t pt_dtype_size(pt_dtype t)
{
    switch (t) {
    case PT_F32: return 4;
    case PT_F16: return 2;
    case PT_BF16: return 2;
    case PT_F64: return 8;
    case PT_I64: return 8;
    case PT_I32: return 4;
    }
    return 4;
}

const char *pt_dtype_name(pt_dtype t)
{
    switch (t) {
    case PT_F32: return "float32";
    case PT_F16: return "float16";
    case PT_BF16: return "bfloat16";
    case PT_F64: return "float64";
    case PT_I64: return "int64";
    case PT_I32: return "int32";
    }
    return "?";
}

int64_t pt_numel(const pt_tensor *t)
{
    int64_t n = 1;
    for (int k = 0; k < t->ndim; k++) n *= t->shape[k];
    return n;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13); /* inf / nan */
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else { /* subnormal: normalise */
        int e = -1;
        do {
            e++;
            man <<= 1;
        } while (!(man & 0x400));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint64_t rd_le(const uint8_t *b, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

/* Element `idx` of a little-endian storage, as float and (for integer
 * storages) as int64. */
static void load_elem(const uint8_t *base, pt_dtype t, int64_t idx, float *f, int64_t *i)
{
    const uint8_t *p = base + (size_t)idx * pt_dtype_size(t);
    uint32_t u32;
    uint64_t u64;
    switch (t) {
    case PT_F32:
        u32 = (uint32_t)rd_le(p, 4);
        memcpy(f, &u32, 4);
        break;
    case PT_F16:
        *f = half_to_float((uint16_t)rd_le(p, 2));
        break;
    case PT_BF16:
        u32 = (uint32_t)rd_le(p, 2) << 16;
        memcpy(f, &u32, 4);
        break;
    case PT_F64: {
        double d;
        u64 = rd_le(p, 8);
        memcpy(&d, &u64, 8);
        *f = (float)d;
        break;
    }
    case PT_I64:
        *i = (int64_t)rd_le(p, 8);
        *f = (float)*i;
        break;
    case PT_I32:
        *i = (int32_t)(uint32_t)rd_le(p, 4);
        *f = (float)*i;
        break;
    }
}

static bool is_int(pt_dtype t) { return t == PT_I64 || t == PT_I32; }

/* Validates a view; returns its element count. */
static cv_status check_ref(const pt_tensor_ref *r, const char *name, int64_t *numel_out)
{
    const int64_t lim = INT64_C(1) << 48;
    if (r->storage_numel > lim || r->offset > lim)
        return cv_error(CV_INVALID_ARGUMENT, "%s: tensor '%s': storage too large", name, r->name);
    int64_t numel = 1, span = 0;
    for (int k = 0; k < r->ndim; k++) {
        if (r->shape[k] > lim || r->stride[k] > lim)
            return cv_error(CV_INVALID_ARGUMENT, "%s: tensor '%s': dimension too large", name, r->name);
        if (r->shape[k] == 0) numel = 0;
        else if (numel && numel > lim / r->shape[k])
            return cv_error(CV_INVALID_ARGUMENT, "%s: tensor '%s': too many elements", name, r->name);
        else numel *= r->shape[k];
    }
    if (numel > 0) {
        for (int k = 0; k < r->ndim; k++) {
            /* both factors are < 2^48, but their product may not be */
            if (r->stride[k] && r->shape[k] - 1 > (lim - span) / r->stride[k])
                return cv_error(CV_INVALID_ARGUMENT, "%s: tensor '%s': strides too large", name, r->name);
            span += (r->shape[k] - 1) * r->stride[k];
        }
        if (r->offset + span >= r->storage_numel)
            return cv_error(CV_INVALID_ARGUMENT,
                            "%s: tensor '%s': storage %s of %lld elements is too small for its shape, "
                            "strides and offset (needs %lld)",
                            name, r->name, r->storage_key, (long long)r->storage_numel,
                            (long long)(r->offset + span + 1));
    }
    *numel_out = numel;
    return cv_ok();
}

static bool is_contiguous(const pt_tensor_ref *r)
{
    int64_t expect = 1;
    for (int k = r->ndim - 1; k >= 0; k--) {
        if (r->shape[k] != 1 && r->stride[k] != expect) return false;
        expect *= r->shape[k];
    }
    return true;
}

/* Copies one view out of its storage in C order. */
static void copy_view(const pt_tensor_ref *r, const uint8_t *storage, int64_t numel, float *f, int64_t *iv)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* the common case, float32 weights laid out in order: a plain copy */
    if (r->dtype == PT_F32 && is_contiguous(r)) {
        memcpy(f, storage + (size_t)r->offset * 4, (size_t)numel * 4);
        return;
    }
#endif
    int64_t idx[PT_MAX_DIMS] = {0};
    int64_t src = r->offset;
    int64_t dummy;
    for (int64_t n = 0; n < numel; n++) {
        load_elem(storage, r->dtype, src, &f[n], iv ? &iv[n] : &dummy);
        /* odometer step over the C-order index */
        for (int k = r->ndim - 1; k >= 0; k--) {
            if (++idx[k] < r->shape[k]) {
                src += r->stride[k];
                break;
            }
            src -= (idx[k] - 1) * r->stride[k];
            idx[k] = 0;
        }
    }
}

static int cmp_key(const void *a, const void *b)
{
    const pt_tensor_ref *const *x = a, *const *y = b;
    return strcmp((*x)->storage_key, (*y)->storage_key);
}

cv_status pt_materialize(const pt_tensor_refs *refs, pt_storage_reader reader, void *ctx,
                         const char *name, uint64_t budget, pt_dict *out)
{
    out->items = NULL;
    out->count = 0;
    if (refs->count == 0) return cv_ok();
    cv_status st = cv_ok();
    uint64_t used = 0;
    const pt_tensor_ref **order = malloc(refs->count * sizeof *order);
    pt_dict d = {.items = calloc(refs->count, sizeof(pt_tensor)), .count = refs->count};
    if (!d.items) d.count = 0;
    if (!order || !d.items) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", name);
        goto out;
    }
    /* names and output arrays first: all checks happen before any storage is read */
    for (size_t k = 0; k < refs->count; k++) {
        const pt_tensor_ref *r = &refs->items[k];
        pt_tensor *t = &d.items[k];
        order[k] = r;
        int64_t numel = 0;
        st = check_ref(r, name, &numel);
        if (!cv_is_ok(&st)) goto out;
        uint64_t bytes = (uint64_t)numel * (sizeof(float) + (is_int(r->dtype) ? sizeof(int64_t) : 0));
        if (bytes > budget - used) {
            st = cv_error(CV_RESOURCE_EXHAUSTED, "%s: tensors need more memory than the file's size justifies",
                          name);
            goto out;
        }
        used += bytes;
        t->name = strdup(r->name);
        t->dtype = r->dtype;
        t->key0_len = r->key0_len;
        t->ndim = r->ndim;
        memcpy(t->shape, r->shape, sizeof t->shape);
        t->data = malloc(numel ? (size_t)numel * sizeof(float) : sizeof(float));
        if (is_int(r->dtype)) t->idata = malloc(numel ? (size_t)numel * sizeof(int64_t) : sizeof(int64_t));
        if (!t->name || !t->data || (is_int(r->dtype) && !t->idata)) {
            st = cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", name);
            goto out;
        }
        if (numel == 0) t->data[0] = 0.0f;
    }
    qsort(order, refs->count, sizeof *order, cmp_key);
    for (size_t a = 0; a < refs->count;) {
        size_t b = a + 1;
        while (b < refs->count && strcmp(order[b]->storage_key, order[a]->storage_key) == 0) {
            if (order[b]->dtype != order[a]->dtype || order[b]->storage_numel != order[a]->storage_numel) {
                st = cv_error(CV_INVALID_ARGUMENT, "%s: storage %s is described twice differently", name,
                              order[a]->storage_key);
                goto out;
            }
            b++;
        }
        uint64_t nbytes = (uint64_t)order[a]->storage_numel * pt_dtype_size(order[a]->dtype);
        if (nbytes > budget - used) {
            st = cv_error(CV_RESOURCE_EXHAUSTED, "%s: storage %s is larger than the file's size justifies",
                          name, order[a]->storage_key);
            goto out;
        }
        uint8_t *raw = NULL;
        st = reader(ctx, order[a]->storage_key, nbytes, &raw);
        if (!cv_is_ok(&st)) goto out;
        for (size_t k = a; k < b; k++) {
            size_t at = (size_t)(order[k] - refs->items);
            pt_tensor *t = &d.items[at];
            copy_view(order[k], raw, pt_numel(t), t->data, t->idata);
        }
        free(raw);
        a = b;
    }
    *out = d;
    d.items = NULL;
    d.count = 0;
out:
    free(order);
    pt_free(&d);
    return st;
}

static cv_status load_archive(pt_archive *a, const char *name, pt_dict *out)
{
    uint8_t *pkl = NULL;
    size_t plen = 0;
    pt_tensor_refs refs = {0};
    cv_status st = pt_archive_read_pickle(a, &pkl, &plen);
    if (cv_is_ok(&st)) st = pt_pickle_parse(pkl, plen, name, &refs);
    free(pkl);
    if (cv_is_ok(&st)) {
        uint64_t budget = BUDGET_FLOOR + BUDGET_PER_BYTE * pt_archive_size(a);
        st = pt_materialize(&refs, pt_archive_read_storage, a, name, budget, out);
    }
    pt_tensor_refs_free(&refs);
    return st;
}

cv_status pt_load(const char *path, pt_dict *out)
{
    out->items = NULL;
    out->count = 0;
    pt_archive *a = NULL;
    cv_status st = pt_archive_open_file(path, &a);
    if (!cv_is_ok(&st)) return st;
    st = load_archive(a, path, out);
    pt_archive_close(a);
    return st;
}

cv_status pt_load_memory(const void *buf, size_t len, const char *name, pt_dict *out)
{
    out->items = NULL;
    out->count = 0;
    pt_archive *a = NULL;
    cv_status st = pt_archive_open_memory(buf, len, name, &a);
    if (!cv_is_ok(&st)) return st;
    st = load_archive(a, name, out);
    pt_archive_close(a);
    return st;
}

const pt_tensor *pt_find(const pt_dict *d, const char *name)
{
    for (size_t k = 0; k < d->count; k++)
        if (strcmp(d->items[k].name, name) == 0) return &d->items[k];
    return NULL;
}

void pt_free(pt_dict *d)
{
    if (!d) return;
    for (size_t k = 0; k < d->count; k++) {
        free(d->items[k].name);
        free(d->items[k].data);
        free(d->items[k].idata);
    }
    free(d->items);
    d->items = NULL;
    d->count = 0;
}

static bool is_weight_matrix(const pt_tensor *t)
{
    return t->ndim >= 2 && !t->idata && pt_numel(t) >= 4096;
}

bool pt_weights_register(const pt_dict *d)
{
    for (size_t i = 0; i < d->count; i++)
        if (is_weight_matrix(&d->items[i]) &&
            !nn_weights_add(d->items[i].data, (size_t)pt_numel(&d->items[i]))) {
            while (i-- > 0)
                if (is_weight_matrix(&d->items[i])) nn_weights_remove(d->items[i].data);
            return false;
        }
    return true;
}

void pt_weights_unregister(const pt_dict *d)
{
    for (size_t i = 0; i < d->count; i++)
        if (is_weight_matrix(&d->items[i])) nn_weights_remove(d->items[i].data);
}
