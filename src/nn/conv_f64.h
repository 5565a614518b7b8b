/* Double-precision 1-D convolution and the few element-wise steps around
 * it, for the one network the reference runs in float64: CosyVoice3's
 * causal f0 predictor (CausalHiFTGenerator.inference casts it and its input
 * to float64, because its output integrates into the sine source's phase
 * over the whole utterance and float32 there drifts audibly). Same
 * semantics and weight layout as nn_conv1d; BLAS dgemm on im2col columns,
 * split over the nn threads in pieces of time that depend only on the
 * sizes (so results do not depend on the thread count). */
#ifndef CV_NN_CONV_F64_H
#define CV_NN_CONV_F64_H

#include <stdbool.h>
#include <stddef.h>

#include "nn/conv.h"

/* y[cout][Tout] = conv(x[cin][T]) with w [cout][cin/groups][kernel] and
 * optional bias b [cout]; groups must be 1. false on invalid parameters or
 * allocation failure. */
bool nn_conv1d_f64(const nn_conv1d_params *p, const double *x, int T, const double *w,
                   const double *b, double *y);

/* y[M][N] = A[M][K] B[K][N] (+ y when accumulate), row-major. */
void nn_dgemm(int M, int N, int K, const double *A, const double *B, double *y,
              bool accumulate);

/* ELU with alpha 1 in place: x < 0 -> expm1(x) (torch's formula). */
void nn_elu_f64(double *x, size_t n);

#endif
