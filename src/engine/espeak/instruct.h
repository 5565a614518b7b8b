/* Parsing of instruct_text (Chinese and English) into prosody changes:
 * speaking rate, pitch, loudness, gender and emotion. Words it does not
 * know are ignored, so any instruction is accepted. */
#ifndef CV_ESPEAK_INSTRUCT_H
#define CV_ESPEAK_INSTRUCT_H

#include <stdbool.h>

#include "engine/espeak/prosody.h"

typedef enum instruct_cue {
    CUE_SLOW, CUE_FAST, CUE_HIGH, CUE_LOW, CUE_LOUD, CUE_SOFT, CUE_WHISPER,
    CUE_MALE, CUE_FEMALE, CUE_HAPPY, CUE_SAD, CUE_ANGRY, CUE_CALM, CUE_EXCITED,
    CUE_SERIOUS, CUE_NEUTRAL, /* "normal pitch", "正常语速"...: recognized, no change */
    CUE_COUNT
} instruct_cue;

typedef struct instruct_effect {
    unsigned cues;  /* bit (1u << instruct_cue) for every cue found */
    float rate;     /* factors on the prosody's rate, F0 and range */
    float pitch;
    float range;
    float gain_db;  /* added to the level */
    int gender;     /* -1: unchanged, else a voice_gender */
    bool whisper;
} instruct_effect;

void instruct_parse(const char *text, instruct_effect *out);

/* Applies the effect to a speaker's prosody (a gender change also moves F0
 * and the voice variant to the other gender's typical values). */
void instruct_apply(const instruct_effect *e, prosody *p);

#endif
