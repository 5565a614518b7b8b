#include "nn/tensor.h"

#include <stdlib.h>
#include <string.h>

size_t nn_shape_numel(int ndim, const int *shape)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
    return n;
}

size_t nn_tensor_numel(const nn_tensor *t) { return nn_shape_numel(t->ndim, t->shape); }

static bool shape_valid(int ndim, const int *shape)
{
    if (ndim < 1 || ndim > NN_MAX_DIMS) return false;
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0) return false;
    return true;
}

nn_tensor nn_tensor_alloc(int ndim, const int *shape)
{
    nn_tensor t = {0};
    if (!shape_valid(ndim, shape)) return t;
    size_t n = nn_shape_numel(ndim, shape);
    /* calloc(0) may return NULL; keep a valid pointer for empty tensors. */
    t.data = calloc(n ? n : 1, sizeof(float));
    if (!t.data) return t;
    t.ndim = ndim;
    memcpy(t.shape, shape, (size_t)ndim * sizeof(int));
    t.owned = true;
    return t;
}

nn_tensor nn_tensor_1d(int d0) { return nn_tensor_alloc(1, (int[]){d0}); }
nn_tensor nn_tensor_2d(int d0, int d1) { return nn_tensor_alloc(2, (int[]){d0, d1}); }
nn_tensor nn_tensor_3d(int d0, int d1, int d2)
{
    return nn_tensor_alloc(3, (int[]){d0, d1, d2});
}

nn_tensor nn_tensor_view(float *data, int ndim, const int *shape)
{
    nn_tensor t = {0};
    if (!shape_valid(ndim, shape)) return t;
    t.data = data;
    t.ndim = ndim;
    memcpy(t.shape, shape, (size_t)ndim * sizeof(int));
    t.owned = false;
    return t;
}

nn_tensor nn_tensor_clone(const nn_tensor *src)
{
    nn_tensor t = nn_tensor_alloc(src->ndim, src->shape);
    if (t.data) memcpy(t.data, src->data, nn_tensor_numel(src) * sizeof(float));
    return t;
}

void nn_tensor_free(nn_tensor *t)
{
    if (t->owned) free(t->data);
    memset(t, 0, sizeof *t);
}

bool nn_tensor_reshape(nn_tensor *t, int ndim, const int *shape)
{
    if (!shape_valid(ndim, shape)) return false;
    if (nn_shape_numel(ndim, shape) != nn_tensor_numel(t)) return false;
    t->ndim = ndim;
    memcpy(t->shape, shape, (size_t)ndim * sizeof(int));
    return true;
}

bool nn_tensor_same_shape(const nn_tensor *a, const nn_tensor *b)
{
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return false;
    return true;
}
