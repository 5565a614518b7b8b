#include "engine/espeak/espeak_backend.h"

#include <espeak-ng/speak_lib.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "engine/espeak/prompt_analysis.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static bool g_ready;
static int g_init_rc;

/* The pitch setting (0..100) moves the voice's F0 roughly exponentially; we
 * measure the median F0 at two settings per voice+variant and interpolate
 * in log-frequency, so that a target in Hz can be hit. */
#define CAL_LO 25
#define CAL_HI 75
#define CAL_MAX 64
typedef struct calibration {
    char key[48];
    float log_f0_lo, log_f0_hi;
} calibration;
static calibration g_cal[CAL_MAX];
static size_t g_cal_count;

typedef struct collect {
    pcm_buf *buf;
    bool failed;
} collect;

static int on_samples(short *wav, int n, espeak_EVENT *events)
{
    collect *c = events ? events[0].user_data : NULL;
    if (!c || !wav || n <= 0)
        return 0;
    if (pcm_buf_append(c->buf, wav, (size_t)n)) {
        c->failed = true;
        return 1; /* abort this synthesis */
    }
    return 0;
}

int espeak_backend_init(char *err, size_t cap)
{
    pthread_mutex_lock(&g_lock);
    if (!g_ready) {
        int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 200, NULL,
                                     espeakINITIALIZE_DONT_EXIT);
        if (rate != ESPEAK_SAMPLE_RATE) {
            g_init_rc = -1;
            snprintf(err, cap, "espeak-ng initialization failed (rate %d)", rate);
        } else {
            espeak_SetSynthCallback(on_samples);
            g_init_rc = 0;
        }
        g_ready = true;
    } else if (g_init_rc) {
        snprintf(err, cap, "espeak-ng initialization failed");
    }
    int rc = g_init_rc;
    pthread_mutex_unlock(&g_lock);
    return rc;
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Runs one synthesis with explicit espeak-ng settings; lock held. */
static int synth_locked(const char *lang, const char *variant, int pitch, int range, int rate,
                        int volume, const char *text, pcm_buf *out)
{
    char name[64];
    snprintf(name, sizeof name, "%s+%s", lang, variant);
    if (espeak_SetVoiceByName(name) != EE_OK && espeak_SetVoiceByName(lang) != EE_OK)
        return -1;
    espeak_SetParameter(espeakRATE, clampi(rate, espeakRATE_MINIMUM, espeakRATE_MAXIMUM), 0);
    espeak_SetParameter(espeakPITCH, clampi(pitch, 0, 100), 0);
    espeak_SetParameter(espeakRANGE, clampi(range, 0, 100), 0);
    espeak_SetParameter(espeakVOLUME, clampi(volume, 0, 200), 0);
    collect c = {.buf = out};
    espeak_ERROR e = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8,
                                  NULL, &c);
    return e == EE_OK && !c.failed ? 0 : -1;
}

static const char *calibration_phrase(const char *lang)
{
    if (strncmp(lang, "en", 2) == 0)
        return "The weather is lovely today, so we are going for a walk in the park.";
    if (strcmp(lang, "ja") == 0)
        return "きょうは いい てんきですね。こうえんを さんぽしましょう。";
    if (strcmp(lang, "ko") == 0)
        return "오늘은 날씨가 좋아서 공원에 산책하러 갑니다.";
    return "今天天气很好，我们一起去公园散步吧。";
}

static float measure_f0(const pcm_buf *b)
{
    voice_analysis a;
    if (voice_analyze(b->data, b->len, ESPEAK_SAMPLE_RATE, &a))
        return 0.0f;
    return a.f0_median_hz;
}

/* Finds or measures the calibration for lang+variant; lock held. */
static const calibration *calibrate_locked(const char *lang, const char *variant)
{
    char key[48];
    snprintf(key, sizeof key, "%s+%s", lang, variant);
    for (size_t i = 0; i < g_cal_count; i++)
        if (strcmp(g_cal[i].key, key) == 0)
            return &g_cal[i];
    pcm_buf lo = {0}, hi = {0};
    const char *phrase = calibration_phrase(lang);
    float f_lo = 0, f_hi = 0;
    if (synth_locked(lang, variant, CAL_LO, 50, espeakRATE_NORMAL, 100, phrase, &lo) == 0 &&
        synth_locked(lang, variant, CAL_HI, 50, espeakRATE_NORMAL, 100, phrase, &hi) == 0) {
        f_lo = measure_f0(&lo);
        f_hi = measure_f0(&hi);
    }
    pcm_buf_free(&lo);
    pcm_buf_free(&hi);
    if (!(f_lo > 0 && f_hi > f_lo * 1.05f)) {
        /* Measurement failed: assume a typical span so synthesis still works. */
        bool male = variant[0] == 'm';
        f_lo = male ? 95.0f : 180.0f;
        f_hi = male ? 150.0f : 280.0f;
        LOG_WARN("espeak: pitch calibration of %s failed, using defaults", key);
    }
    if (g_cal_count == CAL_MAX)
        g_cal_count = 0; /* tiny cache; recycling an entry only costs a re-measure */
    calibration *c = &g_cal[g_cal_count++];
    snprintf(c->key, sizeof c->key, "%s", key);
    c->log_f0_lo = logf(f_lo);
    c->log_f0_hi = logf(f_hi);
    LOG_DEBUG("espeak: %s F0 %.0f Hz at pitch %d, %.0f Hz at %d", key, f_lo, CAL_LO, f_hi,
              CAL_HI);
    return c;
}

static int pitch_for(const calibration *c, float f0_hz)
{
    if (!(f0_hz > 0))
        return 50;
    float t = (logf(f0_hz) - c->log_f0_lo) / (c->log_f0_hi - c->log_f0_lo);
    return clampi((int)lrintf(CAL_LO + t * (CAL_HI - CAL_LO)), 0, 100);
}

int espeak_backend_synth(const char *lang, const prosody *p, const char *text, pcm_buf *out)
{
    char err[128];
    if (espeak_backend_init(err, sizeof err))
        return -1;
    pthread_mutex_lock(&g_lock);
    const calibration *c = calibrate_locked(lang, p->variant);
    int pitch = pitch_for(c, p->f0_hz);
    int range = (int)lrintf(50.0f * p->range);
    int rate = (int)lrintf(espeakRATE_NORMAL * p->rate);
    /* espeak-ng's volume covers -inf..+6 dB; the back end's caller applies
     * rest of a larger gain is applied to the samples below. */
    float g = p->gain_db > 6.0f ? 6.0f : p->gain_db;
    int volume = (int)lrintf(100.0f * powf(10.0f, g / 20.0f));
    size_t start = out->len;
    int rc = synth_locked(lang, p->variant, pitch, range, rate, volume, text, out);
    pthread_mutex_unlock(&g_lock);
    if (p->gain_db > 6.0f) {
        float k = powf(10.0f, (p->gain_db - 6.0f) / 20.0f);
        for (size_t i = start; i < out->len; i++) {
            float v = out->data[i] * k;
            out->data[i] = (int16_t)(v > 32767.f ? 32767 : v < -32768.f ? -32768 : v);
        }
    }
    return rc;
}

int espeak_backend_f0_span(const char *lang, const prosody *p, float *f0_at_0, float *f0_at_100)
{
    char err[128];
    if (espeak_backend_init(err, sizeof err))
        return -1;
    pthread_mutex_lock(&g_lock);
    const calibration *c = calibrate_locked(lang, p->variant);
    float slope = (c->log_f0_hi - c->log_f0_lo) / (CAL_HI - CAL_LO);
    *f0_at_0 = expf(c->log_f0_lo - slope * CAL_LO);
    *f0_at_100 = expf(c->log_f0_lo + slope * (100 - CAL_LO));
    pthread_mutex_unlock(&g_lock);
    return 0;
}
