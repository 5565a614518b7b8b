/* Voices of the OpenAI-compatible routes: the engine's speaker ids, plus
 * OpenAI's voice names as aliases of the English preset speakers (so a
 * client that sends "alloy" gets speech), listed only when the speaker they
 * stand for exists in the loaded engine. */
#ifndef CV_HTTP_VOICES_H
#define CV_HTTP_VOICES_H

#include "engine/engine.h"

/* The speaker id a voice name stands for, or NULL if there is none. */
const char *voice_resolve(const engine *e, const char *name);

/* GET /v1/audio/voices: {"voices": [names...], "data": [{"id", "speaker",
 * "object"}...]} (malloc'ed JSON text), or NULL. */
char *voices_json(const engine *e);

/* GET /v1/models: the engine, and the OpenAI model names accepted. */
char *models_json(const char *engine_name);

#endif
