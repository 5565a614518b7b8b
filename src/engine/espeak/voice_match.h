/* Zero-shot and cross-lingual voice matching: the prompt recording is
 * analysed (F0, intonation range, speaking rate, level, long-term spectrum)
 * and the synthetic voice is set up to resemble it. The first segment with
 * enough speech is measured against the prompt and, when it is off,
 * re-rendered with corrected pitch and rate; its spectrum and level then
 * fix a timbre filter and gain applied to every segment of the call from
 * the same back end. Later segments get the pitch check too. */
#ifndef CV_ESPEAK_VOICE_MATCH_H
#define CV_ESPEAK_VOICE_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/espeak/prompt_analysis.h"
#include "engine/espeak/prosody.h"
#include "engine/espeak/timbre.h"

#define MATCH_MAX_TIMBRE_DB 8.0f
#define MATCH_MAX_GAIN_DB 15.0f
#define MATCH_BACKENDS 2 /* 0: espeak-ng, 1: flite */

typedef struct voice_match {
    bool enabled;
    bool text_rate;       /* zero_shot: prompt rate from its transcript */
    voice_analysis prompt;
    float prompt_rate;    /* syllables (zero_shot) or nuclei (cross_lingual) per s */
    float speed;          /* the request's speed factor on top of the prompt's rate */
    ltas prompt_ltas;
    bool rate_tuned;      /* rate corrected on a first segment */
    /* Level and timbre corrections, one set per back end (espeak-ng and
     * flite sound different), each fixed on that back end's first segment. */
    struct {
        bool tuned;
        float gain_db;
        timbre_filter filter;
    } post[MATCH_BACKENDS];
} voice_match;

/* Analyses req's prompt (16 kHz) and sets *base from it: gender and
 * variant from the pitch, F0, intonation range and an initial rate.
 * Returns 0, or -1 when out of memory. */
int voice_match_init(voice_match *m, const tts_request *req, prosody *base);

/* Compares a rendered segment (22050 Hz) of `text` with the prompt: the
 * factors by which its F0 and rate should change to match. Returns false
 * when the segment holds too little speech to judge. */
bool voice_match_measure(const voice_match *m, const int16_t *pcm, size_t n, const char *text,
                         float *f0_factor, float *rate_factor);

/* Fixes the call's timbre filter and gain for `backend` from a (final)
 * rendered segment of that back end. */
void voice_match_tune(voice_match *m, int backend, const int16_t *pcm, size_t n);

/* Applies the back end's timbre filter and gain to a segment in place. */
void voice_match_post(voice_match *m, int backend, int16_t *pcm, size_t n);

#endif
