/* Engine-independent request validation: every rule that does not depend on
 * which engine is loaded. Runs at the edge, before a call is admitted. */
#ifndef CV_VALIDATE_H
#define CV_VALIDATE_H

#include "engine/engine.h"

typedef struct tts_limits {
    size_t max_text_chars;     /* --max-text, in code points */
    double max_prompt_seconds; /* --max-prompt-seconds */
} tts_limits;

#define TTS_DEFAULT_MAX_TEXT 10000
#define TTS_DEFAULT_MAX_PROMPT_SECONDS 30.0
#define TTS_MIN_PROMPT_SECONDS 0.5
/* The neural LM reads prompt_text and instruct_text in one prefill whose
 * memory grows with the square of their length, so they are bounded (in
 * characters): a transcript of --max-prompt-seconds of speech or a
 * spoken-style instruction is far shorter. */
#define TTS_MAX_PROMPT_TEXT 1000
#define TTS_MAX_INSTRUCT_TEXT 500
/* Accepted speaking rates (the range OpenAI's speech API takes); slower
 * rates would make audio (and memory) grow without bound. */
#define TTS_MIN_SPEED 0.25f
#define TTS_MAX_SPEED 4.0f

cv_status tts_request_validate(const tts_request *req, const tts_limits *lim);

/* True if the string holds only whitespace (ASCII, ideographic space, NBSP). */
bool text_is_blank(const char *s);

#endif
