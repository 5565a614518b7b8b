/* Short-time Fourier transform and its inverse on FFTW3 (single precision),
 * with torch.stft / torch.istft semantics: window length = n_fft, one-sided
 * spectrum of n_fft/2+1 bins, unnormalised forward transform; with `center`
 * the signal is reflect-padded by n_fft/2 on both sides (torch default) and
 * the inverse trims it again, dividing by the overlap-added squared window.
 *
 * An nn_stft holds the FFTW plans (made once, under a lock, since FFTW's
 * planner is not thread-safe); the transforms themselves only read it, so
 * one nn_stft can serve concurrent calls. */
#ifndef CV_NN_STFT_H
#define CV_NN_STFT_H

#include <stdbool.h>

typedef struct nn_stft nn_stft;

/* window: n_fft values, copied; NULL = periodic Hann (scipy
 * get_window('hann', n_fft, fftbins=True)). NULL on failure. */
nn_stft *nn_stft_new(int n_fft, int hop, const float *window, bool center);
void nn_stft_free(nn_stft *s);

int nn_stft_bins(const nn_stft *s); /* n_fft/2 + 1 */
/* Frames for n samples (0 if too short: center needs n > n_fft/2). */
int nn_stft_frames(const nn_stft *s, int n);
/* Samples produced by nn_stft_inverse for `frames` frames
 * (center: hop*(frames-1); otherwise n_fft + hop*(frames-1)). */
int nn_istft_length(const nn_stft *s, int frames);

/* re, im: [bins][frames] (row stride = frames). false on bad length or
 * allocation failure. */
bool nn_stft_forward(const nn_stft *s, const float *x, int n, float *re, float *im);
/* Inverse of the one-sided spectrum re/im [bins][frames] into
 * out[nn_istft_length(frames)]. Imaginary parts of the DC and Nyquist bins
 * are ignored (as by torch.istft). */
bool nn_stft_inverse(const nn_stft *s, const float *re, const float *im, int frames,
                     float *out);

/* Hann window of length n: periodic (fftbins) or symmetric. */
void nn_hann_window(float *w, int n, bool periodic);

#endif
