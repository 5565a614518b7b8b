/* Node attributes, TensorProto conversion and small shared helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_internal.h"

const Onnx__AttributeProto *ox_attr(const ox_node *n, const char *name)
{
    for (size_t i = 0; i < n->proto->n_attribute; i++) {
        const Onnx__AttributeProto *a = n->proto->attribute[i];
        if (a->name && !strcmp(a->name, name)) return a;
    }
    return NULL;
}

int64_t ox_attr_int(const ox_node *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    return a && a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT ? a->i : def;
}

float ox_attr_float(const ox_node *n, const char *name, float def)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    return a && a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT ? a->f : def;
}

const int64_t *ox_attr_ints(const ox_node *n, const char *name, size_t *len)
{
    const Onnx__AttributeProto *a = ox_attr(n, name);
    if (!a || a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS) {
        *len = 0;
        return NULL;
    }
    *len = a->n_ints;
    return a->ints;
}

const char *ox_attr_string(const ox_node *n, const char *name, const char *def)
{
    static _Thread_local char buf[64];
    const Onnx__AttributeProto *a = ox_attr(n, name);
    if (!a || a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING) return def;
    size_t len = a->s.len < sizeof buf - 1 ? a->s.len : sizeof buf - 1;
    if (len) memcpy(buf, a->s.data, len);
    buf[len] = 0;
    return buf;
}

cv_status ox_err(const ox_node *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cv_error(CV_INVALID_ARGUMENT, "ONNX %s node '%s': %s", n->proto->op_type,
                    n->proto->name ? n->proto->name : "", msg);
}

cv_status ox_oom(const ox_node *n)
{
    return cv_error(CV_RESOURCE_EXHAUSTED, "ONNX %s node '%s': out of memory",
                    n->proto->op_type, n->proto->name ? n->proto->name : "");
}

bool ox_axis(int64_t axis, int rank, int *out)
{
    if (axis < -(int64_t)rank || axis >= rank) return false;
    *out = (int)(axis < 0 ? axis + rank : axis);
    return true;
}

bool ox_broadcast_shape(int na, const int64_t *a, int nb, const int64_t *b, int *ndim,
                        int64_t *out)
{
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int64_t da = i < n - na ? 1 : a[i - (n - na)];
        int64_t db = i < n - nb ? 1 : b[i - (n - nb)];
        if (da != db && da != 1 && db != 1) return false;
        out[i] = da == 1 ? db : da;
    }
    *ndim = n;
    return true;
}

void ox_broadcast_strides(const ox_tensor *t, int ndim, const int64_t *shape, int64_t *strides)
{
    (void)shape; /* t's extents are 1 or equal to shape's (checked by the caller) */
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        int ti = i - (ndim - t->ndim);
        if (ti < 0) {
            strides[i] = 0;
            continue;
        }
        strides[i] = t->shape[ti] == 1 ? 0 : s;
        s *= t->shape[ti];
    }
}

/* little-endian raw bytes to values */
static void copy_raw(void *dst, const uint8_t *src, size_t count, size_t item)
{
    memcpy(dst, src, count * item); /* the target is little-endian (x86-64, arm64) */
}

cv_status ox_tensor_from_proto(const Onnx__TensorProto *p, ox_tensor **out)
{
    return ox_tensor_take_proto((Onnx__TensorProto *)p, false, out);
}

cv_status ox_tensor_take_proto(Onnx__TensorProto *p, bool steal, ox_tensor **out)
{
    *out = NULL;
    const char *name = p->name ? p->name : "";
    if (p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL || p->n_external_data)
        return cv_error(CV_UNIMPLEMENTED,
                        "ONNX tensor '%s' is stored as external data (a separate file); only "
                        "self-contained .onnx files are supported",
                        name);
    if (!ox_dtype_supported(p->data_type))
        return cv_error(CV_UNIMPLEMENTED, "ONNX tensor '%s' has unsupported element type %s",
                        name, ox_dtype_name(p->data_type));
    if (p->n_dims > OX_MAX_DIMS)
        return cv_error(CV_UNIMPLEMENTED, "ONNX tensor '%s' has %zu dimensions (max %d)", name,
                        p->n_dims, OX_MAX_DIMS);
    /* the data present must match the shape before anything is allocated:
     * a corrupt file must not make us reserve what its dims claim */
    uint64_t count = 1;
    for (size_t i = 0; i < p->n_dims; i++) {
        if (p->dims[i] < 0 || (p->dims[i] && count > (UINT64_C(1) << 40) / (uint64_t)p->dims[i]))
            return cv_error(CV_INVALID_ARGUMENT, "ONNX tensor '%s': invalid or huge shape", name);
        count *= (uint64_t)p->dims[i];
    }
    const size_t item = ox_dtype_size((ox_dtype)p->data_type);
    size_t stored;
    if (p->has_raw_data) stored = p->raw_data.len / item + (p->raw_data.len % item ? 1 : 0);
    else if (p->data_type == OX_FLOAT) stored = p->n_float_data;
    else if (p->data_type == OX_INT64) stored = p->n_int64_data;
    else stored = p->n_int32_data;
    if (stored != count || (p->has_raw_data && p->raw_data.len != count * item))
        return cv_error(CV_INVALID_ARGUMENT,
                        "ONNX tensor '%s': stored data does not match its shape", name);
    ox_tensor *t = ox_tensor_new((ox_dtype)p->data_type, (int)p->n_dims, p->dims);
    if (!t) return cv_error(CV_RESOURCE_EXHAUSTED, "ONNX tensor '%s': out of memory", name);
    const size_t n = t->count;
    bool ok = true;
    if (p->has_raw_data) {
        ok = p->raw_data.len == n * item;
        if (ok && steal && n) {
            /* protobuf-c allocated the bytes on their own with malloc: the
             * tensor adopts them (large weights are not held twice) */
            free(t->data);
            t->data = p->raw_data.data;
            p->raw_data.data = NULL;
            p->raw_data.len = 0;
            p->has_raw_data = 0;
        } else if (ok && n) {
            copy_raw(t->data, p->raw_data.data, n, item);
        }
    } else if (t->dtype == OX_FLOAT) {
        ok = p->n_float_data == n;
        if (ok && n) memcpy(t->data, p->float_data, n * 4);
    } else if (t->dtype == OX_INT64) {
        ok = p->n_int64_data == n;
        if (ok && n) memcpy(t->data, p->int64_data, n * 8);
    } else { /* int32 and bool are stored in int32_data */
        ok = p->n_int32_data == n;
        for (size_t i = 0; ok && i < n; i++) {
            if (t->dtype == OX_INT32) ox_i32(t)[i] = p->int32_data[i];
            else ox_b(t)[i] = p->int32_data[i] != 0;
        }
    }
    if (!ok) {
        ox_tensor_free(t);
        return cv_error(CV_INVALID_ARGUMENT,
                        "ONNX tensor '%s': stored data does not match its shape", name);
    }
    *out = t;
    return cv_ok();
}
