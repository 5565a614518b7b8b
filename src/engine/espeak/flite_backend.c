#include "engine/espeak/flite_backend.h"

#include <flite.h>
#include <flite_version.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "audio/resample.h"
#include "engine/espeak/espeak_backend.h"

cst_voice *register_cmu_us_slt(const char *voxdir);
cst_voice *register_cmu_us_awb(const char *voxdir);

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static bool g_ready;
static cst_voice *g_female, *g_male;

/* Intonation spread (Hz) of each voice at range 1, close to the voices'
 * own statistics so that range 1 sounds like the unmodified voice. */
#define FEMALE_F0_STDDEV 24.0f
#define MALE_F0_STDDEV 16.0f
/* The voices' median F0 comes out a little below int_f0_target_mean
 * (measured with our pitch tracker: slt 2-3% low, awb 5-8% low); the
 * target is raised by that much so the output lands on it. */
#define FEMALE_F0_CORRECTION 1.025f
#define MALE_F0_CORRECTION 1.065f

int flite_backend_init(void)
{
    pthread_mutex_lock(&g_lock);
    if (!g_ready) {
        flite_init();
        g_female = register_cmu_us_slt(NULL);
        g_male = register_cmu_us_awb(NULL);
        g_ready = true;
    }
    int rc = g_female && g_male ? 0 : -1;
    pthread_mutex_unlock(&g_lock);
    return rc;
}

int flite_backend_synth(const prosody *p, const char *text, pcm_buf *out)
{
    if (flite_backend_init())
        return -1;
    bool male = p->gender == GENDER_MALE;
    cst_voice *v = male ? g_male : g_female;
    float rate = p->rate > 0.2f ? p->rate : 0.2f;
    pthread_mutex_lock(&g_lock);
    float f0 = p->f0_hz > 0 ? p->f0_hz : (male ? 120.0f : 170.0f);
    feat_set_float(v->features, "int_f0_target_mean",
                   f0 * (male ? MALE_F0_CORRECTION : FEMALE_F0_CORRECTION));
    /* The spread scales with the mean, so intonation stays proportionate. */
    feat_set_float(v->features, "int_f0_target_stddev",
                   (male ? MALE_F0_STDDEV / 120.0f : FEMALE_F0_STDDEV / 170.0f) * f0 * p->range);
    feat_set_float(v->features, "duration_stretch", 1.0f / rate);
    cst_wave *w = flite_text_to_wave(text, v);
    pthread_mutex_unlock(&g_lock);
    if (!w)
        return -1;
    size_t n = 0;
    int16_t *res = resample_s16(w->samples, (size_t)w->num_samples, w->sample_rate,
                                ESPEAK_SAMPLE_RATE, &n);
    delete_wave(w);
    if (!res)
        return -1;
    pcm_apply_gain(res, n, p->gain_db);
    int rc = pcm_buf_append(out, res, n);
    free(res);
    return rc;
}

const char *flite_backend_version(void) { return FLITE_PROJECT_VERSION; }
