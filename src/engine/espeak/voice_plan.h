/* A call's voice plan: what every segment of one request is spoken with
 * (base prosody from the speaker, the instruction or the voice prompt, plus
 * per-call post-processing), and the rendering of one text segment. */
#ifndef CV_ESPEAK_VOICE_PLAN_H
#define CV_ESPEAK_VOICE_PLAN_H

#include <stdbool.h>

#include "engine/engine.h"
#include "engine/espeak/pcm_buf.h"
#include "engine/espeak/prosody.h"
#include "engine/espeak/voice_match.h"
#include "text/frontend.h"

typedef struct voice_plan {
    prosody base;
    text_lang default_lang; /* for segments whose script does not tell */
    voice_match match;      /* zero_shot / cross_lingual only */
} voice_plan;

/* Builds the plan for a request already accepted by the engine's check(). */
cv_status voice_plan_build(const tts_request *req, voice_plan *plan);
void voice_plan_free(voice_plan *plan);

/* Appends the audio (22050 Hz) for one segment, including its leading event
 * sound if any. Returns 0, or -1 if synthesis failed. */
int voice_plan_render(voice_plan *plan, const text_segment *seg, pcm_buf *out);

#endif
