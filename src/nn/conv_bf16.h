/* 1-D convolution in bf16 on oneDNN's convolution primitive, for
 * nn_conv1d under NN_BF16 when the weight is registered (nn/weights.h).
 * On CPUs with AMX or AVX512_BF16 the library's direct bf16 kernels
 * (brgconv / jit amx) beat both the float32 im2col + GEMM and the FFT
 * method on the vocoder's convolutions (docs/compute.md, "Vocoder").
 *
 * The input is rounded to bf16 on the way (oneDNN reorder, round to nearest
 * even); weights are the registered bf16 copy; bias, accumulation and
 * output are float32. The output is cut into time pieces whose bounds
 * depend only on the shape (nn/parallel.h), each a convolution of its own
 * input window with the padding it needs, so results do not depend on the
 * thread count or the load. */
#ifndef CV_NN_CONV_BF16_H
#define CV_NN_CONV_BF16_H

#include <stdbool.h>
#include <stdint.h>

#include "nn/conv.h"

/* The bf16 copy of w when nn_conv1d should take this path (NN_BF16, groups
 * 1, w registered, the product large enough to pay the primitive's
 * set-up), else NULL. */
const uint16_t *nn_conv1d_bf16_weight(const nn_conv1d_params *p, int T, const float *w);

typedef enum nn_conv_bf16_result {
    NN_CONV_BF16_DONE,
    NN_CONV_BF16_REFUSED, /* the library refuses the shape; y untouched */
    NN_CONV_BF16_FAILED,  /* out of memory midway; y partly written */
} nn_conv_bf16_result;

/* y = conv(x), or y += conv(x) when acc, with nn_conv1d's contract (T
 * frames in, nn_conv1d_out_len out); wb is the bf16 weight
 * [cout][cin][kernel]. Every piece's primitive is made on the calling
 * thread before anything is written, so REFUSED leaves y as it was (the
 * caller computes in float32 instead). */
nn_conv_bf16_result nn_conv1d_bf16(const nn_conv1d_params *p, const float *x, int T,
                                   const uint16_t *wb, const float *b, float *y, bool acc);

#endif
