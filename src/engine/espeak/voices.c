#include "engine/espeak/voices.h"

#include <stdio.h>
#include <string.h>

/* F0 targets follow typical adult ranges (women ~180-230 Hz, men ~95-125 Hz),
 * differ by 5% or more between speakers so each sounds distinct, and sit in
 * the middle of their espeak-ng variant's span so "higher"/"lower"
 * instructions have room to move. */
static const speaker g_speakers[] = {
    {"中文女", LANG_ZH, GENDER_FEMALE, "f3", 195.0f},
    {"中文男", LANG_ZH, GENDER_MALE, "m3", 106.0f},
    {"日语男", LANG_JA, GENDER_MALE, "m1", 120.0f},
    {"粤语女", LANG_YUE, GENDER_FEMALE, "f4", 212.0f},
    {"英文女", LANG_EN, GENDER_FEMALE, "f2", 180.0f},
    {"英文男", LANG_EN, GENDER_MALE, "m2", 96.0f},
    {"韩语女", LANG_KO, GENDER_FEMALE, "f5", 225.0f},
};

size_t speaker_count(void) { return sizeof g_speakers / sizeof g_speakers[0]; }

const speaker *speaker_at(size_t i) { return i < speaker_count() ? &g_speakers[i] : NULL; }

const speaker *speaker_find(const char *id)
{
    for (size_t i = 0; i < speaker_count(); i++)
        if (strcmp(g_speakers[i].id, id) == 0)
            return &g_speakers[i];
    return NULL;
}

prosody speaker_prosody(const speaker *s)
{
    prosody p = {.gender = s->gender, .f0_hz = s->f0_hz, .range = 1.0f, .rate = 1.0f};
    snprintf(p.variant, sizeof p.variant, "%s", s->variant);
    return p;
}

const char *espeak_voice_for(text_lang lang, text_lang fallback)
{
    if (lang == LANG_UNKNOWN)
        lang = fallback;
    switch (lang) {
    case LANG_EN: return "en-us";
    case LANG_JA: return "ja";
    case LANG_KO: return "ko";
    case LANG_YUE: return "yue";
    case LANG_ZH:
    default: return "cmn";
    }
}

float lang_base_rate(const char *espeak_voice)
{
    /* espeak-ng's Mandarin at its normal rate speaks under 3 syllables a
     * second, slower than natural speech (~4-5); Cantonese and Japanese a
     * little less so. Measured on our calibration phrases. */
    if (strcmp(espeak_voice, "cmn") == 0)
        return 1.30f;
    if (strcmp(espeak_voice, "yue") == 0 || strcmp(espeak_voice, "ja") == 0)
        return 1.10f;
    return 1.0f;
}

float backend_level_offset_db(const char *espeak_voice, voice_gender g, bool flite)
{
    /* Gains that bring every back-end voice to about -20 dBFS (RMS of the
     * active speech), measured on sample sentences, so that a call mixing
     * languages (espeak-ng and flite) keeps a steady loudness. */
    if (flite)
        return g == GENDER_FEMALE ? -7.3f : -2.2f;
    if (strcmp(espeak_voice, "cmn") == 0)
        return g == GENDER_FEMALE ? 1.0f : 1.8f;
    if (strcmp(espeak_voice, "yue") == 0)
        return -3.3f;
    if (strcmp(espeak_voice, "ja") == 0)
        return 1.7f;
    if (strcmp(espeak_voice, "ko") == 0)
        return 1.2f;
    return 0.0f;
}
