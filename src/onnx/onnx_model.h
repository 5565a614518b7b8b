/* A small ONNX interpreter for the prompt front end's two networks (the CAM++
 * speaker model and the speech tokenizer): loads a .onnx file (protobuf-c,
 * schema from Debian's libonnx-dev) and runs its graph node by node with
 * float32/int64/int32/bool tensors, matrix work on nn_gemm (src/nn/backend.h).
 *
 * Loading rejects, with a message naming the culprit, anything it cannot run:
 * an operator outside the supported set (onnx_ops.c lists it), a non-default
 * domain, an unsupported element type, tensors stored as external data, a
 * malformed or truncated file. A loaded model is read-only: ox_run may be
 * called from several threads at once. */
#ifndef CV_ONNX_MODEL_H
#define CV_ONNX_MODEL_H

#include <stddef.h>

#include "common/status.h"
#include "onnx/onnx_tensor.h"

typedef struct ox_model ox_model;

cv_status ox_model_load(const char *path, ox_model **out);
/* From bytes in memory; `name` is only used in messages. */
cv_status ox_model_load_memory(const void *buf, size_t len, const char *name, ox_model **out);
void ox_model_free(ox_model *m);

/* Graph inputs (initializers excluded) and outputs, in declaration order. */
int ox_model_n_inputs(const ox_model *m);
int ox_model_n_outputs(const ox_model *m);
const char *ox_model_input_name(const ox_model *m, int i);
const char *ox_model_output_name(const ox_model *m, int i);
/* Nodes evaluated once at load because their inputs are all constant. */
int ox_model_n_folded(const ox_model *m);
/* Index of the named input/output, -1 if none. */
int ox_model_input_index(const ox_model *m, const char *name);
int ox_model_output_index(const ox_model *m, const char *name);

/* Runs the graph. inputs[i] binds input i (borrowed, not modified);
 * outputs[j] receives a new tensor for output j (caller frees with
 * ox_tensor_free), or NULL on error. */
cv_status ox_run(const ox_model *m, const ox_tensor *const *inputs, ox_tensor **outputs);

/* Same, also returning copies of up to 8 intermediate values by name
 * (extra[j], caller frees): parity checks of a network's inner stages. */
cv_status ox_run_ex(const ox_model *m, const ox_tensor *const *inputs, ox_tensor **outputs,
                    const char *const *extra_names, int n_extra, ox_tensor **extra);

/* Name of input k of the last node of the given type (NULL if none): e.g.
 * the scores a tokenizer's final ArgMax picks from. */
const char *ox_model_last_node_input(const ox_model *m, const char *op_type, int k);

/* Operator types the interpreter supports, NULL-terminated. */
const char *const *ox_supported_ops(void);

#endif
