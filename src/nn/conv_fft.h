/* Frequency-domain 1-D convolution (overlap-save on FFTW) for the wide,
 * long-kernel convolutions of the vocoder: per frequency bin the channel
 * mixing is one complex matrix product, so a k-tap conv costs about
 * 4*(N/2+1)/(N-span+1) real multiply-adds per tap-equivalent instead of k
 * (N = FFT size, span = dilation*(k-1)+1): 3-5x fewer for k = 7..11.
 * nn_conv1d uses it on its own when it pays off; the result matches the
 * direct method to float32 rounding. Stride 1, groups 1 only. */
#ifndef CV_NN_CONV_FFT_H
#define CV_NN_CONV_FFT_H

#include <stdbool.h>

#include "nn/conv.h"

/* Process-wide switch for nn_conv1d's automatic choice (default on);
 * benchmarks use it to compare both methods. */
void nn_conv1d_set_fft(bool enabled);

/* FFT size worth using for this conv on T frames, or 0 when the direct
 * (im2col + GEMM) method is expected to be as fast. */
int nn_conv1d_fft_size(const nn_conv1d_params *p, int T);

/* Same contract as nn_conv1d, with FFT size n_fft (a power of two larger
 * than the kernel span). */
bool nn_conv1d_fft(const nn_conv1d_params *p, const float *x, int T, const float *w,
                   const float *b, float *y, int n_fft);
/* The same adding into y (y += conv(x)) when acc. */
bool nn_conv1d_fft_acc(const nn_conv1d_params *p, const float *x, int T, const float *w,
                       const float *b, float *y, int n_fft, bool acc);

#endif
