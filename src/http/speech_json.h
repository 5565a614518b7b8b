/* The JSON body of POST /v1/audio/speech, as OpenAI defines it: model,
 * input, voice (a string, or an object with an "id"), instructions,
 * response_format, speed (0.25-4.0) and stream_format ("audio" or "sse").
 * Unknown fields are ignored; a known field of the wrong type is an error
 * naming it. Pure parsing (Jansson): what the names mean is decided by the
 * route (http_routes.c). */
#ifndef CV_SPEECH_JSON_H
#define CV_SPEECH_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "common/status.h"

#define SPEECH_SPEED_MIN 0.25
#define SPEECH_SPEED_MAX 4.0

typedef struct speech_params {
    char *model;           /* NULL if absent */
    char *input;           /* required */
    char *voice;           /* required */
    char *instructions;    /* NULL if absent or empty */
    char *response_format; /* default "mp3", as OpenAI's */
    double speed;          /* default 1.0 */
    bool sse;              /* stream_format "sse" */
} speech_params;

/* Parses body[0..len). On error returns INVALID_ARGUMENT with a message and
 * writes the offending field's name into param (empty when it is the body
 * itself); *out is then empty. */
cv_status speech_json_parse(const char *body, size_t len, speech_params *out, char param[32]);
void speech_params_free(speech_params *p);

#endif
