/* The preset speakers (CosyVoice-300M-SFT's seven ids) and the mapping from
 * a segment's language to a back-end voice. */
#ifndef CV_ESPEAK_VOICES_H
#define CV_ESPEAK_VOICES_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/espeak/prosody.h"
#include "text/frontend.h"

typedef struct speaker {
    const char *id;
    text_lang lang;     /* language of text whose script does not tell */
    voice_gender gender;
    const char *variant; /* espeak-ng variant */
    float f0_hz;         /* median F0: distinct per speaker */
} speaker;

size_t speaker_count(void);
const speaker *speaker_at(size_t i);
const speaker *speaker_find(const char *id);

/* The speaker's default prosody. */
prosody speaker_prosody(const speaker *s);

/* espeak-ng voice name for a language ("cmn", "yue", "ja", "ko", "en-us");
 * LANG_UNKNOWN maps to `fallback`. */
const char *espeak_voice_for(text_lang lang, text_lang fallback);

/* Rate factor that brings a voice's normal rate to a natural pace. */
float lang_base_rate(const char *espeak_voice);

/* Level correction (dB) for a back-end voice: espeak-ng voice name, or
 * flite's voice for the gender when `flite` is true. */
float backend_level_offset_db(const char *espeak_voice, voice_gender g, bool flite);

#endif
