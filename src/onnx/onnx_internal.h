/* Internals shared by the interpreter's loader (onnx_model.c) and its
 * operator families (ops_*.c). */
#ifndef CV_ONNX_INTERNAL_H
#define CV_ONNX_INTERNAL_H

#include <stdbool.h>

#include "common/status.h"
#include "onnx.pb-c.h"
#include "onnx/onnx_tensor.h"

typedef struct ox_node {
    const Onnx__NodeProto *proto; /* attributes, names for messages */
    int n_in, n_out;
    int *in, *out; /* value ids; -1 for an omitted optional input */
    const struct ox_op *op;
    bool folded; /* inputs all constant: evaluated once at load */
} ox_node;

/* in[i] is NULL for an omitted optional input; out[j] must be set to a new
 * tensor for each j < n_out (or left NULL on error). */
typedef cv_status (*ox_op_fn)(const ox_node *n, const ox_tensor *const *in, ox_tensor **out);

typedef struct ox_op {
    const char *name;
    ox_op_fn run;
    int min_in, max_in; /* accepted input counts */
} ox_op;

/* Operator families, each a table ending with {NULL}. */
extern const ox_op ox_ops_elementwise[];
extern const ox_op ox_ops_shape[];
extern const ox_op ox_ops_reduce[];
extern const ox_op ox_ops_nn[];
extern const ox_op ox_ops_matmul[];

const ox_op *ox_find_op(const char *name);

/* ---- attributes --------------------------------------------------------- */
const Onnx__AttributeProto *ox_attr(const ox_node *n, const char *name);
int64_t ox_attr_int(const ox_node *n, const char *name, int64_t def);
float ox_attr_float(const ox_node *n, const char *name, float def);
/* ints attribute: count in *len (0 if absent), pointer into the proto. */
const int64_t *ox_attr_ints(const ox_node *n, const char *name, size_t *len);
const char *ox_attr_string(const ox_node *n, const char *name, const char *def);

/* TensorProto -> new tensor (external data, unsupported types -> error). */
cv_status ox_tensor_from_proto(const Onnx__TensorProto *p, ox_tensor **out);
/* Same; with steal, raw bytes allocated by protobuf-c's default allocator
 * are adopted by the tensor instead of copied (the proto loses them). */
cv_status ox_tensor_take_proto(Onnx__TensorProto *p, bool steal, ox_tensor **out);

/* ---- helpers for operators ------------------------------------------------ */
cv_status ox_err(const ox_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
cv_status ox_oom(const ox_node *n);
/* Normalises a possibly negative axis against rank; false if out of range. */
bool ox_axis(int64_t axis, int rank, int *out);
/* Numpy broadcast of two shapes into out (rank in *ndim); false if
 * incompatible. */
bool ox_broadcast_shape(int na, const int64_t *a, int nb, const int64_t *b, int *ndim,
                        int64_t *out);
/* Strides of `t` viewed with the broadcast output shape (0 on broadcast dims). */
void ox_broadcast_strides(const ox_tensor *t, int ndim, const int64_t *shape, int64_t *strides);

#endif
