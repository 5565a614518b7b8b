/* Vectorised elementwise math for the hot loops (Snake's sine on every
 * sample of the vocoder's activations): glibc's libmvec when the build
 * found it and the CPU has AVX2/AVX-512 (chosen at run time), plain libm
 * otherwise. libmvec's float sine is within 4 ulp of libm's. */
#ifndef CV_NN_VMATH_H
#define CV_NN_VMATH_H

#include <stddef.h>

/* y[i] = sinf(x[i]); y may equal x. */
void nn_vsin(const float *x, float *y, size_t n);

/* Snake in one pass over the row: y[i] = x[i] + inv * sin(a x[i])^2, the
 * sine as in nn_vsin; y may equal x. Each element is computed alone, so
 * the result does not depend on where a row is cut. */
void nn_vsnake(const float *x, float *y, size_t n, float a, float inv);

#endif
