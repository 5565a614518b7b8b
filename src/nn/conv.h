/* 1-D convolutions on channel-first sequences x[C][T] (batch 1), PyTorch
 * semantics and weight layouts, computed as im2col + GEMM in bounded time
 * chunks so scratch memory stays small for long sequences. */
#ifndef CV_NN_CONV_H
#define CV_NN_CONV_H

#include <stdbool.h>

typedef struct nn_conv1d_params {
    int cin, cout, kernel;
    int stride;   /* >= 1 */
    int dilation; /* >= 1 */
    int pad_left, pad_right; /* zero padding (PyTorch padding=p: both = p) */
    int groups;   /* >= 1, divides cin and cout */
} nn_conv1d_params;

/* Output length for an input of T frames (<= 0: input too short). */
int nn_conv1d_out_len(const nn_conv1d_params *p, int T);

/* y[cout][Tout] = conv(x[cin][T]) with w [cout][cin/groups][kernel] and
 * optional bias b [cout]. y must not alias x. false on allocation failure
 * or invalid parameters. */
bool nn_conv1d(const nn_conv1d_params *p, const float *x, int T, const float *w,
               const float *b, float *y);

/* y += conv(x): the residual sum fused into the convolution's output pass
 * (one pass over y fewer than nn_conv1d then nn_add). */
bool nn_conv1d_acc(const nn_conv1d_params *p, const float *x, int T, const float *w,
                   const float *b, float *y);

typedef struct nn_conv_transpose1d_params {
    int cin, cout, kernel;
    int stride, dilation;
    int padding;        /* removed from both ends, as in PyTorch */
    int output_padding; /* extra frames at the end */
} nn_conv_transpose1d_params; /* groups = 1 */

int nn_conv_transpose1d_out_len(const nn_conv_transpose1d_params *p, int T);

/* y[cout][Tout] = conv_transpose(x[cin][T]) with w [cin][cout][kernel]
 * (PyTorch ConvTranspose1d layout) and optional bias [cout]. */
bool nn_conv_transpose1d(const nn_conv_transpose1d_params *p, const float *x, int T,
                         const float *w, const float *b, float *y);

/* Padding along time: y[C][left+T+right]. Reflection needs left, right < T
 * (torch ReflectionPad1d); returns false otherwise. */
bool nn_pad_reflect(const float *x, int C, int T, int left, int right, float *y);
void nn_pad_const(const float *x, int C, int T, int left, int right, float value,
                  float *y);
void nn_pad_replicate(const float *x, int C, int T, int left, int right, float *y);

#endif
