/* The token-to-audio steps' signal helpers every family's model layer uses
 * the same way: the Hamming cross-fade between consecutive chunks (v1's mel
 * and speech overlaps, CosyVoice2's speech overlap) and the linear
 * time-stretch of the mel for speed != 1 (non-streaming calls). */
#ifndef CV_MODEL_T2W_FADE_H
#define CV_MODEL_T2W_FADE_H

#include "common/status.h"

/* np.hamming(n) into w[n]. */
void t2w_hamming(double *w, int n);

/* The reference's fade_in_out: the first n (<= half) values of a[] become
 * a[i] * w[i] + b[i] * w[half + i], w being a symmetric Hamming window of
 * 2 * half and b[] the `half` values the previous piece held back. The
 * product is taken in double (the window is a float64 NumPy array) and
 * rounded once. */
void t2w_fade_in_out(float *a, const float *b, int n, int half, const double *window);

/* mel [C][T] -> [C][int(T / speed)] by linear interpolation with
 * half-pixel centres (torch's F.interpolate(mode='linear')). *out malloc'ed. */
cv_status t2w_time_stretch(const float *mel, int C, int T, float speed, float **out, int *T_out);

/* The same in place on an owned mel: *mel [C][*T] is replaced by its
 * stretch (nothing happens for speed == 1). */
cv_status t2w_time_stretch_owned(float **mel, int C, int *T, float speed);

#endif
