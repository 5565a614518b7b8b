#include "engine/espeak/voice_match.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "engine/espeak/espeak_backend.h"
#include "engine/espeak/pcm_buf.h"
#include "text/frontend.h"

#define GENDER_SPLIT_HZ 160.0f  /* median F0 above: a female variant */
#define ENGINE_SPREAD_ST 6.0f   /* p10..p90 F0 spread of the voices at range 1 */
#define NOMINAL_SYLLABLE_RATE 4.0f /* engine's syllables/s at rate 1 (first guess) */
#define NOMINAL_NUCLEI_RATE 5.5f   /* engine's nuclei/s at rate 1 (first guess) */
#define MIN_JUDGE_VOICED_S 0.4f

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

int voice_match_init(voice_match *m, const tts_request *req, prosody *base)
{
    memset(m, 0, sizeof *m);
    m->enabled = true;
    m->text_rate = req->mode == TTS_MODE_ZERO_SHOT && req->prompt_text && req->prompt_text[0];
    m->speed = req->speed > 0 ? req->speed : 1.0f;
    if (voice_analyze(req->prompt_pcm, req->prompt_samples, TTS_PROMPT_RATE, &m->prompt) ||
        ltas_compute(req->prompt_pcm, req->prompt_samples, TTS_PROMPT_RATE, &m->prompt_ltas))
        return -1;
    const voice_analysis *a = &m->prompt;
    if (a->f0_median_hz > 0) {
        base->gender = a->f0_median_hz >= GENDER_SPLIT_HZ ? GENDER_FEMALE : GENDER_MALE;
        snprintf(base->variant, sizeof base->variant, "%s",
                 base->gender == GENDER_MALE ? "m3" : "f3");
        base->f0_hz = a->f0_median_hz;
        if (a->f0_p10_hz > 0 && a->f0_p90_hz > a->f0_p10_hz) {
            float spread = 12.0f * log2f(a->f0_p90_hz / a->f0_p10_hz);
            base->range = clampf(spread / ENGINE_SPREAD_ST, 0.5f, 1.8f);
        }
    }
    if (m->text_rate && a->active_seconds > 0.3f) {
        /* Count what is spoken: markup dropped, numbers as words. */
        text_frontend_options fo = {0};
        char *spoken = NULL;
        cv_status st = text_frontend_normalize(req->prompt_text, &fo, &spoken);
        size_t syl = text_syllable_count(cv_is_ok(&st) && spoken ? spoken : req->prompt_text);
        free(spoken);
        m->prompt_rate = (float)syl / a->active_seconds;
        if (m->prompt_rate > 0)
            base->rate *= clampf(m->prompt_rate / NOMINAL_SYLLABLE_RATE, 0.6f, 1.6f);
    } else if (a->nuclei >= 3) {
        m->text_rate = false;
        m->prompt_rate = a->nuclei_per_second;
        base->rate *= clampf(m->prompt_rate / NOMINAL_NUCLEI_RATE, 0.6f, 1.6f);
    }
    return 0;
}

bool voice_match_measure(const voice_match *m, const int16_t *pcm, size_t n, const char *text,
                         float *f0_factor, float *rate_factor)
{
    *f0_factor = *rate_factor = 1.0f;
    voice_analysis o;
    if (voice_analyze(pcm, n, ESPEAK_SAMPLE_RATE, &o) || o.voiced_seconds < MIN_JUDGE_VOICED_S) {
        LOG_DEBUG("voice match: segment too short to judge (%zu samples)", n);
        return false;
    }
    if (m->prompt.f0_median_hz > 0 && o.f0_median_hz > 0)
        *f0_factor = clampf(m->prompt.f0_median_hz / o.f0_median_hz, 0.8f, 1.25f);
    /* Our own output's rate comes from its text (the syllable count is
     * known exactly); the prompt's from its transcript or, in
     * cross_lingual, from the syllable nuclei of the recording. */
    float out_rate = 0.0f;
    size_t syl = text_syllable_count(text);
    if (syl >= 3 && o.active_seconds > 0)
        out_rate = (float)syl / o.active_seconds;
    if (m->prompt_rate > 0 && out_rate > 0)
        *rate_factor = clampf(m->prompt_rate * m->speed / out_rate, 0.6f, 1.6f);
    LOG_DEBUG("voice match: prompt F0 %.0f Hz, %.2f syl/s; segment F0 %.0f Hz, %.2f syl/s "
              "-> F0 x%.2f, rate x%.2f",
              m->prompt.f0_median_hz, m->prompt_rate, o.f0_median_hz, out_rate, *f0_factor,
              *rate_factor);
    return true;
}

void voice_match_tune(voice_match *m, int backend, const int16_t *pcm, size_t n)
{
    timbre_filter *filter = &m->post[backend].filter;
    ltas out;
    if (ltas_compute(pcm, n, ESPEAK_SAMPLE_RATE, &out))
        return;
    /* A prompt without speech (noise, hum) sets neither timbre nor level. */
    bool speech = m->prompt.voiced_seconds >= MIN_JUDGE_VOICED_S / 2;
    ltas none = {.valid = false};
    timbre_filter_design(filter, speech ? &m->prompt_ltas : &none, &out, MATCH_MAX_TIMBRE_DB,
                         ESPEAK_SAMPLE_RATE);
    /* The level is measured after the timbre filter (on a copy, with a
     * copy of the filter so its history stays clean). */
    int16_t *copy = malloc(n * sizeof *copy);
    if (!copy)
        return;
    memcpy(copy, pcm, n * sizeof *copy);
    timbre_filter scratch = *filter;
    timbre_filter_apply(&scratch, copy, n);
    voice_analysis o;
    int rc = voice_analyze(copy, n, ESPEAK_SAMPLE_RATE, &o);
    free(copy);
    if (rc || o.voiced_seconds < MIN_JUDGE_VOICED_S)
        return;
    /* Boosts pass through a soft limiter, so no headroom check is needed. */
    float gain = speech ? clampf(m->prompt.rms_dbfs - o.rms_dbfs, -MATCH_MAX_GAIN_DB,
                                 MATCH_MAX_GAIN_DB)
                        : 0.0f;
    m->post[backend].gain_db = gain;
    m->post[backend].tuned = true;
    const float *g = filter->band_gain_db;
    LOG_DEBUG("voice match (%s): gain %+.1f dB, timbre bands %+.1f %+.1f %+.1f %+.1f %+.1f "
              "%+.1f %+.1f %+.1f dB",
              backend ? "flite" : "espeak-ng", gain, g[0], g[1], g[2], g[3], g[4], g[5], g[6],
              g[7]);
}

void voice_match_post(voice_match *m, int backend, int16_t *pcm, size_t n)
{
    if (!m->post[backend].tuned)
        return;
    timbre_filter_apply(&m->post[backend].filter, pcm, n);
    pcm_apply_gain(pcm, n, m->post[backend].gain_db);
}
