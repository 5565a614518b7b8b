#include "onnx/onnx_tensor.h"

#include <stdlib.h>
#include <string.h>

#define OX_MAX_ELEMS ((uint64_t)1 << 40)

/* process-wide cap on elements per tensor (ox_set_element_limit) */
static _Atomic uint64_t element_limit = OX_MAX_ELEMS;

void ox_set_element_limit(size_t n)
{
    element_limit = n && n < OX_MAX_ELEMS ? (uint64_t)n : OX_MAX_ELEMS;
}

size_t ox_element_limit(void) { return (size_t)element_limit; }

size_t ox_dtype_size(ox_dtype dt)
{
    switch (dt) {
    case OX_FLOAT:
    case OX_INT32: return 4;
    case OX_INT64: return 8;
    case OX_BOOL: return 1;
    }
    return 0;
}

bool ox_dtype_supported(int dt)
{
    return dt == OX_FLOAT || dt == OX_INT32 || dt == OX_INT64 || dt == OX_BOOL;
}

const char *ox_dtype_name(int dt)
{
    static const char *const names[] = {"undefined", "float", "uint8", "int8", "uint16",
                                        "int16", "int32", "int64", "string", "bool",
                                        "float16", "double", "uint32", "uint64",
                                        "complex64", "complex128", "bfloat16"};
    return dt >= 0 && dt < (int)(sizeof names / sizeof names[0]) ? names[dt] : "unknown";
}

ox_tensor *ox_tensor_new(ox_dtype dt, int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > OX_MAX_DIMS || !ox_dtype_size(dt)) return NULL;
    const uint64_t limit = element_limit;
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return NULL;
        if (shape[i] == 0) n = 0;
    }
    for (int i = 0; i < ndim && n; i++) {
        if ((uint64_t)shape[i] > limit) return NULL;
        n *= (uint64_t)shape[i];
        if (n > limit) return NULL;
    }
    ox_tensor *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->dtype = dt;
    t->ndim = ndim;
    if (ndim) memcpy(t->shape, shape, sizeof(int64_t) * ndim);
    t->count = (size_t)n;
    t->data = calloc(n ? n : 1, ox_dtype_size(dt));
    if (!t->data) {
        free(t);
        return NULL;
    }
    return t;
}

void ox_tensor_free(ox_tensor *t)
{
    if (!t) return;
    free(t->data);
    free(t);
}

ox_tensor *ox_tensor_clone(const ox_tensor *t)
{
    ox_tensor *c = ox_tensor_new(t->dtype, t->ndim, t->shape);
    if (c) memcpy(c->data, t->data, t->count * ox_dtype_size(t->dtype));
    return c;
}

double ox_get_f64(const ox_tensor *t, size_t i)
{
    switch (t->dtype) {
    case OX_FLOAT: return ox_f(t)[i];
    case OX_INT32: return ox_i32(t)[i];
    case OX_INT64: return (double)ox_i64(t)[i];
    case OX_BOOL: return ox_b(t)[i];
    }
    return 0;
}

int64_t ox_get_i64(const ox_tensor *t, size_t i)
{
    switch (t->dtype) {
    case OX_FLOAT: {
        float v = ox_f(t)[i];
        if (!(v > -9.2e18f && v < 9.2e18f)) return 0; /* NaN / out of range */
        return (int64_t)v;
    }
    case OX_INT32: return ox_i32(t)[i];
    case OX_INT64: return ox_i64(t)[i];
    case OX_BOOL: return ox_b(t)[i];
    }
    return 0;
}

void ox_set_f64(ox_tensor *t, size_t i, double v)
{
    switch (t->dtype) {
    case OX_FLOAT: ox_f(t)[i] = (float)v; break;
    case OX_INT32: ox_i32(t)[i] = (v > -2.2e9 && v < 2.2e9) ? (int32_t)v : 0; break;
    case OX_INT64: ox_i64(t)[i] = (v > -9.2e18 && v < 9.2e18) ? (int64_t)v : 0; break;
    case OX_BOOL: ox_b(t)[i] = v != 0; break;
    }
}
