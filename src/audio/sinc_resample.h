/* Band-limited resampling by a windowed-sinc polyphase filter, with the
 * semantics of torchaudio.functional.resample at its defaults
 * ("sinc_interp_hann", lowpass_filter_width 6, rolloff 0.99): the rates are
 * reduced by their gcd, the signal is zero-padded, and the output has
 * ceil(n * new / orig) samples. The model's prompt features were computed
 * from audio resampled exactly this way, so the server uses it for the
 * 16 kHz -> 22050 Hz step (the client keeps libsoxr for arbitrary rates).
 *
 * A sinc_resampler holds the precomputed kernel and is read-only after
 * creation: one can serve concurrent calls. */
#ifndef CV_SINC_RESAMPLE_H
#define CV_SINC_RESAMPLE_H

#include <stddef.h>

typedef struct sinc_resampler sinc_resampler;

/* NULL on invalid rates (<= 0) or allocation failure. */
sinc_resampler *sinc_resampler_new(int orig_rate, int new_rate);
void sinc_resampler_free(sinc_resampler *r);

/* Number of output samples for n input samples. */
size_t sinc_resampler_out_len(const sinc_resampler *r, size_t n);
/* out[sinc_resampler_out_len(n)]. Returns 0 on success, -1 on allocation
 * failure. */
int sinc_resampler_run(const sinc_resampler *r, const float *in, size_t n, float *out);

#endif
