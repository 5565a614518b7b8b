/* Tensors of the ONNX interpreter: dense, C order, one of the element types
 * the front-end graphs use. Unlike nn_tensor (float only, 4 dims) these carry
 * int64 shape arithmetic and boolean masks too. The dtype values are ONNX's
 * TensorProto.DataType codes. */
#ifndef CV_ONNX_TENSOR_H
#define CV_ONNX_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OX_MAX_DIMS 8

typedef enum ox_dtype {
    OX_FLOAT = 1,
    OX_INT32 = 6,
    OX_INT64 = 7,
    OX_BOOL = 9, /* one byte per element, 0 or 1 */
} ox_dtype;

typedef struct ox_tensor {
    ox_dtype dtype;
    int ndim; /* 0 = scalar */
    int64_t shape[OX_MAX_DIMS];
    size_t count;
    void *data;
} ox_tensor;

/* Zero-filled tensor; NULL on allocation failure or an invalid shape
 * (negative extents, ndim outside 0..OX_MAX_DIMS, more than 2^40 elements). */
ox_tensor *ox_tensor_new(ox_dtype dt, int ndim, const int64_t *shape);
/* Lowers the 2^40 cap on elements per tensor (and per scratch buffer) for the
 * whole process, e.g. to fuzz graphs without exhausting memory; 0 restores
 * the default. Exceeding it is reported as out of memory. */
void ox_set_element_limit(size_t n);
size_t ox_element_limit(void);
void ox_tensor_free(ox_tensor *t);
ox_tensor *ox_tensor_clone(const ox_tensor *t);
size_t ox_dtype_size(ox_dtype dt);
bool ox_dtype_supported(int dt);
const char *ox_dtype_name(int dt);

static inline float *ox_f(const ox_tensor *t) { return (float *)t->data; }
static inline int64_t *ox_i64(const ox_tensor *t) { return (int64_t *)t->data; }
static inline int32_t *ox_i32(const ox_tensor *t) { return (int32_t *)t->data; }
static inline uint8_t *ox_b(const ox_tensor *t) { return (uint8_t *)t->data; }

/* C-order element strides of t (in elements). */
static inline void ox_strides(const ox_tensor *t, int64_t *strides)
{
    int64_t s = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        strides[d] = s;
        s *= t->shape[d];
    }
}

/* Steps a multi-index through shape[0..ndim) in C order (last axis fastest). */
static inline void ox_next_index(int64_t *idx, const int64_t *shape, int ndim)
{
    for (int d = ndim - 1; d >= 0; d--) {
        if (++idx[d] < shape[d])
            return;
        idx[d] = 0;
    }
}

/* Element i as a double / int64 whatever the dtype. */
double ox_get_f64(const ox_tensor *t, size_t i);
int64_t ox_get_i64(const ox_tensor *t, size_t i);
/* Stores v (converted as a C cast would, bool: v != 0) into element i. */
void ox_set_f64(ox_tensor *t, size_t i, double v);

#endif
