#include "engine/engine.h"

#include <stdio.h>
#include <string.h>

/* Each engine exports its ops table; the registry is the one place that
 * lists them. */
extern const engine_ops espeak_engine_ops;
extern const engine_ops tone_engine_ops;

static const engine_ops *const g_engines[] = {
    &espeak_engine_ops,
    &tone_engine_ops,
};

static const char *const g_mode_names[TTS_MODE_COUNT] = {
    "sft", "zero_shot", "cross_lingual", "instruct"};

const char *tts_mode_name(tts_mode m)
{
    return (unsigned)m < TTS_MODE_COUNT ? g_mode_names[m] : NULL;
}

int tts_mode_parse(const char *name)
{
    for (int i = 0; i < TTS_MODE_COUNT; i++)
        if (strcmp(name, g_mode_names[i]) == 0)
            return i;
    return -1;
}

size_t engine_registry_count(void) { return sizeof g_engines / sizeof g_engines[0]; }

const engine_ops *engine_registry_at(size_t i)
{
    return i < engine_registry_count() ? g_engines[i] : NULL;
}

const engine_ops *engine_find(const char *name)
{
    for (size_t i = 0; i < engine_registry_count(); i++)
        if (strcmp(g_engines[i]->name, name) == 0)
            return g_engines[i];
    return NULL;
}

cv_status engine_open(const char *name, const engine_options *opt, engine **out)
{
    const engine_ops *ops = engine_find(name);
    if (!ops) {
        char names[256] = "";
        for (size_t i = 0; i < engine_registry_count(); i++) {
            if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, g_engines[i]->name, sizeof names - strlen(names) - 1);
        }
        return cv_error(CV_INVALID_ARGUMENT, "unknown engine '%s' (available: %s)", name, names);
    }
    return ops->open(opt, out);
}

void engine_close(engine *e)
{
    if (e)
        e->ops->close(e);
}

bool engine_has_speaker(const engine *e, const char *spk_id)
{
    size_t n = e->ops->speaker_count(e);
    for (size_t i = 0; i < n; i++)
        if (strcmp(e->ops->speaker_name(e, i), spk_id) == 0)
            return true;
    return false;
}

void engine_speaker_list(const engine *e, char *buf, size_t cap)
{
    if (!cap) return;
    buf[0] = '\0';
    size_t n = e->ops->speaker_count(e);
    for (size_t i = 0; i < n; i++) {
        if (i) strncat(buf, ", ", cap - strlen(buf) - 1);
        strncat(buf, e->ops->speaker_name(e, i), cap - strlen(buf) - 1);
    }
}
