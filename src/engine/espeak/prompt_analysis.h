/* Analysis of a voice recording (a zero-shot / cross-lingual prompt, or the
 * engine's own output): pitch, speaking rate and loudness. Used to make the
 * synthetic voice resemble the prompt's speaker. */
#ifndef CV_ESPEAK_PROMPT_ANALYSIS_H
#define CV_ESPEAK_PROMPT_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#define PA_HOP_SECONDS 0.01

typedef struct voice_analysis {
    float f0_median_hz;      /* 0 when nothing is voiced */
    float f0_p10_hz;         /* 10th and 90th percentiles of voiced F0 */
    float f0_p90_hz;
    float voiced_seconds;    /* frames with a pitch */
    float active_seconds;    /* frames above the silence threshold */
    float rms_dbfs;          /* RMS level of the active frames, dB re full scale */
    int nuclei;              /* syllable nuclei found in the energy envelope */
    float nuclei_per_second; /* nuclei / active_seconds */
} voice_analysis;

/* YIN pitch tracker: one F0 value (Hz, 0 = unvoiced) per 10 ms hop.
 * Returns a malloc'ed array of *n_frames values, or NULL. */
float *pitch_track(const float *x, size_t n, int rate, float fmin, float fmax, size_t *n_frames);

/* Full analysis of s16 mono audio at `rate`. Returns 0, or -1 on no memory. */
int voice_analyze(const int16_t *pcm, size_t n, int rate, voice_analysis *out);

/* Syllables in a transcript: Han characters, kana and Hangul syllables count
 * one each; in Latin text each group of vowels counts one. */
size_t text_syllable_count(const char *utf8);

#endif
