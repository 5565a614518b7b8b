#include "model/frontend/frontend_mel.h"

#include <math.h>
#include <stdlib.h>

/* Slaney's auditory-toolbox mel scale: linear below 1 kHz, log above. */
#define SLANEY_F_SP (200.0 / 3.0)
#define SLANEY_MIN_LOG_HZ 1000.0
#define SLANEY_MIN_LOG_MEL (SLANEY_MIN_LOG_HZ / SLANEY_F_SP)
#define SLANEY_LOGSTEP (log(6.4) / 27.0)

static double hz_to_mel_slaney(double f)
{
    if (f >= SLANEY_MIN_LOG_HZ)
        return SLANEY_MIN_LOG_MEL + log(f / SLANEY_MIN_LOG_HZ) / SLANEY_LOGSTEP;
    return f / SLANEY_F_SP;
}

static double mel_to_hz_slaney(double m)
{
    if (m >= SLANEY_MIN_LOG_MEL)
        return SLANEY_MIN_LOG_HZ * exp(SLANEY_LOGSTEP * (m - SLANEY_MIN_LOG_MEL));
    return m * SLANEY_F_SP;
}

float *fe_mel_slaney(int sr, int n_fft, int n_mels, double fmin, double fmax)
{
    if (sr <= 0 || n_fft < 2 || n_mels < 1) return NULL;
    if (fmax <= 0) fmax = sr / 2.0;
    const int bins = n_fft / 2 + 1;
    float *w = calloc((size_t)n_mels * bins, sizeof(float));
    double *pts = malloc(sizeof(double) * (n_mels + 2));
    if (!w || !pts) {
        free(w);
        free(pts);
        return NULL;
    }
    /* n_mels + 2 band edges equally spaced on the mel scale */
    const double mlo = hz_to_mel_slaney(fmin), mhi = hz_to_mel_slaney(fmax);
    for (int i = 0; i < n_mels + 2; i++)
        pts[i] = mel_to_hz_slaney(mlo + (mhi - mlo) * i / (n_mels + 1));
    for (int m = 0; m < n_mels; m++) {
        const double lo = pts[m], c = pts[m + 1], hi = pts[m + 2];
        const double enorm = 2.0 / (hi - lo); /* slaney: constant area per band */
        for (int b = 0; b < bins; b++) {
            const double f = (double)b * sr / n_fft;
            double up = (f - lo) / (c - lo), down = (hi - f) / (hi - c);
            double v = up < down ? up : down;
            if (v > 0) w[(size_t)m * bins + b] = (float)(v * enorm);
        }
    }
    free(pts);
    return w;
}

static double mel_kaldi(double f) { return 1127.0 * log(1.0 + f / 700.0); }

float *fe_mel_kaldi(int sr, int n_fft, int n_mels, double low_freq, double high_freq)
{
    if (sr <= 0 || n_fft < 2 || n_mels < 1) return NULL;
    const double nyquist = sr / 2.0;
    if (high_freq <= 0) high_freq += nyquist;
    const int bins = n_fft / 2 + 1;
    float *w = calloc((size_t)n_mels * bins, sizeof(float));
    if (!w) return NULL;
    const double bin_hz = (double)sr / n_fft;
    const double mlo = mel_kaldi(low_freq), mhi = mel_kaldi(high_freq);
    const double delta = (mhi - mlo) / (n_mels + 1);
    for (int m = 0; m < n_mels; m++) {
        const double left = mlo + m * delta, center = left + delta, right = center + delta;
        for (int b = 0; b < bins - 1; b++) { /* the Nyquist bin stays zero */
            const double mel = mel_kaldi(bin_hz * b);
            double up = (mel - left) / (center - left), down = (right - mel) / (right - center);
            double v = up < down ? up : down;
            if (v > 0) w[(size_t)m * bins + b] = (float)v;
        }
    }
    return w;
}
