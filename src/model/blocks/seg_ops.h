/* Kernels for the flow decoder's batched channel-major layout.
 *
 * The flow's estimator always runs on a batch of two (conditional and
 * unconditional pass of classifier-free guidance) sharing all weights. To make
 * every layer ONE matrix product with N = B*T columns, activations are stored
 * as [C][B*T]: row c, column b*T + t. Convolutions then read each batch
 * item's column segment with its own zero padding; linears are plain
 * W[Cout][Cin] x X[Cin][B*T] products; norms reduce along rows (GroupNorm, per
 * segment) or along columns (LayerNorm over channels).
 *
 * These are layout-specific wrappers; the generic [C][T] ops live in src/nn. */
#ifndef CV_MODEL_SEG_OPS_H
#define CV_MODEL_SEG_OPS_H

#include <stddef.h>

/* Y[cout][B*Tout] = W[cout][cin*k] * im2col(X) + bias; X is [cin][B*T].
 * Tout = (T + 2*pad - k) / stride + 1. `work` must hold cin*k*B*Tout floats
 * (unused when k == 1 and stride == 1 and pad == 0). bias may be NULL.
 * Writes (beta=0) or accumulates (accumulate != 0) into Y. */
void seg_conv1d(const float *X, int cin, int B, int T, const float *W, const float *bias,
                int cout, int k, int stride, int pad, float *Y, float *work, int accumulate);
size_t seg_conv1d_work(int cin, int B, int T, int k, int stride, int pad);
/* The same with zero padding pad on the left and pad_right on the right
 * (a causal convolution: pad = k - 1, pad_right = 0); Tout = (T + pad +
 * pad_right - k) / stride + 1, work as seg_conv1d_work(.., (pad+pad_right)/2)
 * for an even total. */
void seg_conv1d_lr(const float *X, int cin, int B, int T, const float *W, const float *bias,
                   int cout, int k, int stride, int pad, int pad_right, float *Y, float *work,
                   int accumulate);

/* ConvTranspose1d (weights [cin][cout][k], PyTorch layout):
 * Tout = (T-1)*stride - 2*pad + k. `work` holds cout*k*B*T floats. */
void seg_conv_transpose1d(const float *X, int cin, int B, int T, const float *W,
                          const float *bias, int cout, int k, int stride, int pad,
                          float *Y, float *work);

/* Y[cout][N] = W[cout][cin] X[cin][N] + bias (bias may be NULL). */
void seg_linear(const float *X, int cin, int N, const float *W, const float *bias,
                int cout, float *Y);

/* In place GroupNorm on [C][B*T] per batch segment, eps 1e-5, affine. */
void seg_group_norm(float *X, int C, int B, int T, int groups, const float *gamma,
                    const float *beta);

/* Y = LayerNorm over the C channels of each column (eps 1e-5, affine);
 * Y may equal X. */
void seg_layer_norm(const float *X, int C, int N, const float *gamma, const float *beta,
                    float *Y);

/* X[c][b*T+t] *= mask[b*T+t]; mask NULL means all ones (no-op). */
void seg_mul_mask(float *X, int C, int N, const float *mask);

#endif
