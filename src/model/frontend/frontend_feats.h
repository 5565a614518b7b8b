/* The prompt front end's feature extractors (what CosyVoice's
 * frontend.py computes before its networks run), on FFTW via nn_stft:
 *  - fe_whisper_mel: Whisper's log-mel (n_fft 400, hop 160, periodic Hann,
 *    centred with reflect padding, power spectrum, Slaney mel filters, log10
 *    clamped at 1e-10, floored at max - 8, (x + 4) / 4, last frame dropped),
 *    the speech tokenizer's input, [n_mels][T];
 *  - fe_fbank: Kaldi fbank as torchaudio.compliance.kaldi.fbank at its
 *    defaults with dither 0 (25 ms / 10 ms frames, snip_edges, DC removal,
 *    pre-emphasis 0.97, Povey window, 512-point power spectrum, 20 Hz ..
 *    Nyquist Kaldi mel banks, log with float epsilon floor) with the mean over
 *    time subtracted, the speaker model's input, [T][80];
 *  - fe_prompt_mel: the flow's prompt mel (matcha mel_spectrogram: reflect
 *    padding (n_fft - hop) / 2, no centring, sqrt(power + 1e-9), Slaney mel,
 *    ln(max(x, 1e-5))), [T][n_mels], settings from cosyvoice.yaml.
 * All take 16 kHz samples in [-1, 1] except fe_prompt_mel (its own rate).
 * An fe_feats owns the filter banks and FFT plans; it is read-only once
 * made, so concurrent calls may share it. */
#ifndef CV_FRONTEND_FEATS_H
#define CV_FRONTEND_FEATS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/status.h"
#include "model/io/yaml_config.h"

typedef struct fe_prompt_mel_config {
    int sample_rate; /* 22050 for CosyVoice-300M, 24000 for CosyVoice2/3 */
    int n_fft, hop, win, n_mels;
    double fmin, fmax; /* fmax 0: sample_rate / 2 (CosyVoice3's fmax: null) */
} fe_prompt_mel_config;

#define FE_WHISPER_MELS 128
#define FE_FBANK_MELS 80

/* Reads feat_extractor.* (and sample_rate) from cosyvoice*.yaml; the
 * CosyVoice-300M values where keys are missing. Rejects center: True,
 * non-positive sizes and an fmax that is neither a number nor null. */
cv_status fe_prompt_mel_config_from_yaml(const yaml_config *y, fe_prompt_mel_config *out);

typedef struct fe_feats fe_feats;

fe_feats *fe_feats_new(const fe_prompt_mel_config *cfg, cv_status *st);
void fe_feats_free(fe_feats *f);
const fe_prompt_mel_config *fe_feats_prompt_config(const fe_feats *f);

/* Each returns a malloc'ed array in *out and its frame count in *frames
 * (the caller frees *out); an error status if the input is too short. */
cv_status fe_whisper_mel(const fe_feats *f, const float *x, size_t n, float **out, int *frames);
cv_status fe_fbank(const fe_feats *f, const float *x, size_t n, float **out, int *frames);
cv_status fe_prompt_mel(const fe_feats *f, const float *x, size_t n, float **out, int *frames);

#endif
