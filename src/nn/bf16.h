/* bfloat16 (the upper half of a float32: 8 exponent bits, 7 mantissa bits)
 * for weights and activations fed to the bf16 GEMMs (nn/backend.h). */
#ifndef CV_NN_BF16_H
#define CV_NN_BF16_H

#include <stddef.h>
#include <stdint.h>

/* Round to nearest even (NaN stays NaN); dst may not alias src. */
void nn_bf16_from_f32(const float *src, uint16_t *dst, size_t n);
void nn_bf16_to_f32(const uint16_t *src, float *dst, size_t n);

#endif
