/* Programmatic construction of small ONNX models (protobuf-c), for the
 * interpreter's unit tests, the fuzz seeds and the full-size benchmark
 * graphs. Value infos carry names only (no types): enough for this
 * interpreter, which takes shapes from the tensors it is given.
 *
 * Every string and array is copied into the builder and freed with it;
 * allocation failures abort (test and tool code only). */
#ifndef CV_ONNX_BUILD_H
#define CV_ONNX_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"

typedef struct oxb oxb;
typedef Onnx__NodeProto oxb_node;

oxb *oxb_new(int opset);
void oxb_free(oxb *b);

void oxb_input(oxb *b, const char *name);
void oxb_output(oxb *b, const char *name);
/* Initializers (data copied). dims may be NULL when ndim == 0. */
void oxb_init_f(oxb *b, const char *name, int ndim, const int64_t *dims, const float *data);
void oxb_init_i64(oxb *b, const char *name, int ndim, const int64_t *dims, const int64_t *data);
/* A Constant node producing an int64 vector. */
void oxb_const_i64(oxb *b, const char *name, int n, const int64_t *v);

/* A node; inputs/outputs are comma-separated value names ("" entries allowed
 * for omitted optional inputs: "x,,max"). */
oxb_node *oxb_add(oxb *b, const char *op, const char *inputs, const char *outputs);
void oxb_attr_i(oxb *b, oxb_node *n, const char *name, int64_t v);
void oxb_attr_f(oxb *b, oxb_node *n, const char *name, float v);
void oxb_attr_s(oxb *b, oxb_node *n, const char *name, const char *v);
void oxb_attr_ints(oxb *b, oxb_node *n, const char *name, int count, const int64_t *v);
/* A tensor attribute (Constant's / ConstantOfShape's "value"): float data. */
void oxb_attr_tensor_f(oxb *b, oxb_node *n, const char *name, int ndim, const int64_t *dims,
                       const float *data);

/* The model, serialised (malloc'ed; *len its size). */
uint8_t *oxb_pack(oxb *b, size_t *len);
/* Writes it to a file; 0 on success. */
int oxb_save(oxb *b, const char *path);
/* The model message itself (owned by the builder): tests that need to
 * tweak fields by hand (external data, odd types). */
Onnx__ModelProto *oxb_model(oxb *b);
/* A TensorProto of the builder's initializer list, by name (NULL if none). */
Onnx__TensorProto *oxb_initializer(oxb *b, const char *name);

#endif
