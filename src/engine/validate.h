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

cv_status tts_request_validate(const tts_request *req, const tts_limits *lim);

/* True if the string holds only whitespace (ASCII, ideographic space, NBSP). */
bool text_is_blank(const char *s);

#endif
