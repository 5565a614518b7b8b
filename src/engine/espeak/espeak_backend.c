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

/* The pitch setting (0..100) moves the voice's F0 non-linearly (faster
 * near the top); we measure the median F0 at five settings per voice and
 * variant and interpolate piecewise in log-frequency, so that a target in
 * Hz can be hit. */
#define CAL_POINTS 5
#define CAL_MAX 64
static const int g_cal_pitch[CAL_POINTS] = {0, 25, 50, 75, 100};
typedef struct calibration {
    char key[48];
    float log_f0[CAL_POINTS];
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

/* Phrases with a balanced mix of tones / intonation, so the median F0 is
 * typical of running speech. */
static const char *calibration_phrase(const char *lang)
{
    if (strncmp(lang, "en", 2) == 0)
        return "The weather is lovely today, so we are going for a walk in the park.";
    if (strcmp(lang, "ja") == 0)
        return "きょうは いい てんきですね。こうえんを さんぽしましょう。";
    if (strcmp(lang, "ko") == 0)
        return "오늘은 날씨가 좋아서 공원에 산책하러 갑니다.";
    return "我们明天早上八点在学校门口见面，然后一起坐车去北京看展览。";
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
    if (g_cal_count == CAL_MAX)
        g_cal_count = 0; /* tiny cache; recycling an entry only costs a re-measure */
    calibration *c = &g_cal[g_cal_count++];
    snprintf(c->key, sizeof c->key, "%s", key);
    bool ok = true;
    for (int i = 0; i < CAL_POINTS; i++) {
        pcm_buf b = {0};
        float f = 0;
        if (synth_locked(lang, variant, g_cal_pitch[i], 50, espeakRATE_NORMAL, 100,
                         calibration_phrase(lang), &b) == 0)
            f = measure_f0(&b);
        pcm_buf_free(&b);
        /* Keep the curve increasing even if one measurement is off. */
        if (i > 0 && f <= expf(c->log_f0[i - 1]))
            f = expf(c->log_f0[i - 1]) * 1.02f;
        ok = ok && f > 0;
        c->log_f0[i] = f > 0 ? logf(f) : 0.0f;
    }
    if (!ok) {
        /* Measurement failed: assume a typical span so synthesis still works. */
        bool male = variant[0] == 'm';
        for (int i = 0; i < CAL_POINTS; i++)
            c->log_f0[i] = logf((male ? 60.0f : 110.0f) * powf(male ? 2.3f : 2.5f, i / 4.0f));
        LOG_WARN("espeak: pitch calibration of %s failed, using defaults", key);
    }
    LOG_DEBUG("espeak: %s F0 %.0f/%.0f/%.0f/%.0f/%.0f Hz at pitch 0/25/50/75/100", key,
              expf(c->log_f0[0]), expf(c->log_f0[1]), expf(c->log_f0[2]), expf(c->log_f0[3]),
              expf(c->log_f0[4]));
    return c;
}

static int pitch_for(const calibration *c, float f0_hz)
{
    if (!(f0_hz > 0))
        return 50;
    float lf = logf(f0_hz);
    if (lf <= c->log_f0[0])
        return 0;
    for (int i = 1; i < CAL_POINTS; i++) {
        if (lf <= c->log_f0[i]) {
            float t = (lf - c->log_f0[i - 1]) / (c->log_f0[i] - c->log_f0[i - 1]);
            return clampi((int)lrintf(g_cal_pitch[i - 1] +
                                      t * (g_cal_pitch[i] - g_cal_pitch[i - 1])), 0, 100);
        }
    }
    return 100;
}

int espeak_backend_synth(const char *lang, const prosody *p, const char *text, pcm_buf *out)
{
    char err[128];
    if (espeak_backend_init(err, sizeof err))
        return -1;
    /* Whispering has no F0 to calibrate: espeak-ng's whisper variants are
     * used at their own pitch. */
    bool whisper = p->breathiness >= 0.5f;
    const char *variant = whisper ? (p->gender == GENDER_MALE ? "whisper" : "whisperf")
                                  : p->variant;
    pthread_mutex_lock(&g_lock);
    int pitch = whisper ? 50 : pitch_for(calibrate_locked(lang, variant), p->f0_hz);
    int range = (int)lrintf(50.0f * p->range);
    int rate = (int)lrintf(espeakRATE_NORMAL * p->rate);
    /* Cuts go through espeak-ng's volume; boosts are applied to the samples
     * afterwards with a soft limiter (espeak-ng would clip hard). */
    float g = p->gain_db > 0.0f ? 0.0f : p->gain_db;
    int volume = (int)lrintf(100.0f * powf(10.0f, g / 20.0f));
    size_t start = out->len;
    int rc = synth_locked(lang, variant, pitch, range, rate, volume, text, out);
    pthread_mutex_unlock(&g_lock);
    if (p->gain_db > 0.0f && rc == 0)
        pcm_apply_gain(out->data + start, out->len - start, p->gain_db);
    return rc;
}

int espeak_backend_f0_span(const char *lang, const prosody *p, float *f0_at_0, float *f0_at_100)
{
    char err[128];
    if (espeak_backend_init(err, sizeof err))
        return -1;
    pthread_mutex_lock(&g_lock);
    const calibration *c = calibrate_locked(lang, p->variant);
    *f0_at_0 = expf(c->log_f0[0]);
    *f0_at_100 = expf(c->log_f0[CAL_POINTS - 1]);
    pthread_mutex_unlock(&g_lock);
    return 0;
}

const char *espeak_backend_version(void)
{
    return espeak_Info(NULL); /* needs no initialization */
}
