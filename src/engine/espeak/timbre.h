/* Coarse timbre matching: compare the long-term average spectrum (LTAS) of
 * a voice prompt with that of the engine's own output and correct the
 * output with a smooth, bounded-gain linear-phase FIR filter. */
#ifndef CV_ESPEAK_TIMBRE_H
#define CV_ESPEAK_TIMBRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LTAS_BANDS 8 /* log-spaced, 100 Hz .. 7.6 kHz */
#define TIMBRE_TAPS 129

typedef struct ltas {
    float db[LTAS_BANDS]; /* mean power per band, dB */
    bool valid;           /* false if the audio held no active frames */
} ltas;

/* Centre frequency (Hz) of band b. */
float ltas_band_centre(int b);

/* LTAS of the active (non-silent) frames of s16 mono audio. Returns 0, or
 * -1 when out of memory. */
int ltas_compute(const int16_t *pcm, size_t n, int rate, ltas *out);

typedef struct timbre_filter {
    float taps[TIMBRE_TAPS];
    float hist[TIMBRE_TAPS - 1]; /* previous input, so segments join smoothly */
    float band_gain_db[LTAS_BANDS];
    bool flat;
} timbre_filter;

/* Designs the filter that moves `current`'s spectral shape toward
 * `target`'s (overall level excluded), each band's gain limited to
 * +-max_gain_db, for audio at `rate`. Flat if either LTAS is invalid. */
void timbre_filter_design(timbre_filter *f, const ltas *target, const ltas *current,
                          float max_gain_db, int rate);

/* Filters pcm in place, continuing from the previous call's samples. */
void timbre_filter_apply(timbre_filter *f, int16_t *pcm, size_t n);

/* The designed filter's magnitude response at freq_hz, in dB. */
float timbre_filter_response_db(const timbre_filter *f, float freq_hz, int rate);

#endif
