/* Reader for NumPy .npy files (format versions 1-3), used for the golden
 * reference arrays of the tests: little-endian float32, int32 or int64,
 * C order or Fortran order (returned in C order). Anything else is rejected with a message naming the file. */
#ifndef CV_NPY_H
#define CV_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define NPY_MAX_DIMS 8

typedef enum npy_dtype { NPY_FLOAT32, NPY_INT32, NPY_INT64 } npy_dtype;

typedef struct npy_array {
    npy_dtype dtype;
    int ndim;                      /* 0 for a scalar */
    int64_t shape[NPY_MAX_DIMS];
    size_t count;                  /* number of elements */
    float *data;                   /* always set: the values as float32, C order */
    int64_t *idata;                /* integer arrays only: the exact values */
} npy_array;

cv_status npy_load(const char *path, npy_array *out);
/* Same from bytes in memory; `name` is only used in error messages. */
cv_status npy_load_memory(const void *buf, size_t len, const char *name, npy_array *out);
void npy_free(npy_array *a);

#endif
