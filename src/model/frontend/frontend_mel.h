/* Mel filter banks for the prompt front end, built in double precision and
 * stored as float32 [n_mels][n_fft/2 + 1]:
 *  - Slaney-style (librosa.filters.mel with htk=False, norm='slaney'), used by
 *    Whisper's log-mel and by the flow's prompt mel (matcha mel_spectrogram);
 *  - Kaldi-style (torchaudio.compliance.kaldi.get_mel_banks, no VTLN), used by
 *    the speaker model's fbank. Its Nyquist column is zero, as Kaldi's. */
#ifndef CV_FRONTEND_MEL_H
#define CV_FRONTEND_MEL_H

/* NULL on allocation failure or bad arguments. fmax <= 0 means sr / 2. */
float *fe_mel_slaney(int sr, int n_fft, int n_mels, double fmin, double fmax);
float *fe_mel_kaldi(int sr, int n_fft, int n_mels, double low_freq, double high_freq);

#endif
