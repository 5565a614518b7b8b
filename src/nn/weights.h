/* Weights kept in lower precision: with nn_set_precision(NN_BF16) on a CPU
 * with native bf16 dot products, a model registers its weight matrices at
 * load (nn_weights_add) and nn keeps a bfloat16 copy of each; every nn_gemm
 * whose A or B operand lies inside a registered matrix then runs in bf16
 * (the other operand rounded to bf16 on the way, float32 accumulation and
 * output). Products of two activations stay float32, as does everything
 * under NN_FP32 (the default, which keeps parity with the reference).
 *
 * Registration is by address range and reference-counted, so model
 * instances that share one weight buffer (the flow pool) add and remove it
 * each; sub-matrices (a group's slice, one projection of a packed qkv) are
 * found inside their parent. */
#ifndef CV_NN_WEIGHTS_H
#define CV_NN_WEIGHTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum nn_precision { NN_FP32, NN_BF16 } nn_precision;

/* Process-wide; set before the models load. false (and NN_FP32 kept) when
 * bf16 is asked for on a CPU without it. */
bool nn_set_precision(nn_precision p);
nn_precision nn_get_precision(void);
const char *nn_precision_name(nn_precision p);

/* n floats at w, which must stay unchanged while registered. No-op under
 * NN_FP32; false on allocation failure. */
bool nn_weights_add(const float *w, size_t n);
void nn_weights_remove(const float *w);

/* The bf16 copy of the float at p if p lies in a registered matrix that
 * also holds the `span` floats from p on, else NULL. */
const uint16_t *nn_weights_bf16(const float *p, size_t span);

#endif
