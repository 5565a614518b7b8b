/* A float32 tensor: contiguous C-order data plus a shape. Small on purpose:
 * the layers in src/model keep their activations in nn_tensor values and pass
 * raw pointers + sizes to the ops (src/nn/ops.h, conv.h), which never
 * allocate behind the caller's back except for bounded scratch buffers.
 *
 * A tensor either owns its buffer (nn_tensor_alloc, freed by nn_tensor_free)
 * or borrows it (nn_tensor_view: e.g. weights held by a pt_dict, or a slice
 * of another tensor); nn_tensor_free on a view only forgets it. */
#ifndef CV_NN_TENSOR_H
#define CV_NN_TENSOR_H

#include <stdbool.h>
#include <stddef.h>

#define NN_MAX_DIMS 4

typedef struct nn_tensor {
    float *data;
    int ndim;
    int shape[NN_MAX_DIMS];
    bool owned;
} nn_tensor;

/* Zero-filled tensor of the given shape; data == NULL on allocation failure
 * or an invalid shape (ndim outside 1..NN_MAX_DIMS or a negative extent). */
nn_tensor nn_tensor_alloc(int ndim, const int *shape);
nn_tensor nn_tensor_1d(int d0);
nn_tensor nn_tensor_2d(int d0, int d1);
nn_tensor nn_tensor_3d(int d0, int d1, int d2);
/* Borrowed view over someone else's buffer. */
nn_tensor nn_tensor_view(float *data, int ndim, const int *shape);
/* Owned deep copy (data == NULL on failure). */
nn_tensor nn_tensor_clone(const nn_tensor *t);
/* Frees an owned buffer; resets *t to an empty tensor either way. */
void nn_tensor_free(nn_tensor *t);

size_t nn_tensor_numel(const nn_tensor *t);
size_t nn_shape_numel(int ndim, const int *shape);
/* Changes the shape without moving data; false if the element count differs. */
bool nn_tensor_reshape(nn_tensor *t, int ndim, const int *shape);
/* true if same ndim and extents. */
bool nn_tensor_same_shape(const nn_tensor *a, const nn_tensor *b);

/* Convenience for 2-D/3-D row access: pointer to row i of the leading dim. */
static inline float *nn_row(const nn_tensor *t, int i)
{
    size_t inner = 1;
    for (int d = 1; d < t->ndim; d++) inner *= (size_t)t->shape[d];
    return t->data + (size_t)i * inner;
}

#endif
