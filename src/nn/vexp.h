/* More vectorised elementwise math (see vmath.h for the mechanism): the
 * exponential used by softmax and the exact (erf) and tanh GELUs of the
 * flows' feed-forward layers, through glibc's libmvec when available. */
#ifndef CV_NN_VEXP_H
#define CV_NN_VEXP_H

#include <stddef.h>

/* y[i] = expf(x[i]); y may equal x. */
void nn_vexp(const float *x, float *y, size_t n);
/* y[i] = 0.5 x (1 + erf(x / sqrt 2)), as nn_gelu; y may equal x. */
void nn_vgelu(const float *x, float *y, size_t n);
/* y[i] = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as nn_gelu_tanh
 * (the DiT's feed-forward); y may equal x. */
void nn_vgelu_tanh(const float *x, float *y, size_t n);

#endif
