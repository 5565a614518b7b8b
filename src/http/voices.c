#include "http/voices.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *alias, *speaker;
} g_aliases[] = {
    {"alloy", "英文女"}, {"coral", "英文女"}, {"nova", "英文女"},   {"sage", "英文女"},
    {"shimmer", "英文女"}, {"marin", "英文女"}, {"ash", "英文男"},  {"ballad", "英文男"},
    {"echo", "英文男"},  {"fable", "英文男"}, {"onyx", "英文男"},   {"verse", "英文男"},
    {"cedar", "英文男"},
};
#define N_ALIASES (sizeof g_aliases / sizeof g_aliases[0])

/* OpenAI's model names, accepted so clients that send them need no change;
 * the model field chooses nothing (one engine per process). */
static const char *const g_models[] = {"tts-1", "tts-1-hd", "gpt-4o-mini-tts"};

const char *voice_resolve(const engine *e, const char *name)
{
    size_t n = e->ops->speaker_count(e);
    for (size_t i = 0; i < n; i++)
        if (strcmp(e->ops->speaker_name(e, i), name) == 0)
            return e->ops->speaker_name(e, i);
    for (size_t i = 0; i < N_ALIASES; i++)
        if (strcmp(g_aliases[i].alias, name) == 0 && engine_has_speaker(e, g_aliases[i].speaker))
            return g_aliases[i].speaker;
    return NULL;
}

static int add_voice(json_t *names, json_t *data, const char *id, const char *speaker)
{
    return json_array_append_new(names, json_string(id)) ||
           json_array_append_new(data, json_pack("{s:s, s:s, s:s}", "id", id, "speaker", speaker,
                                                 "object", "voice"));
}

char *voices_json(const engine *e)
{
    json_t *names = json_array(), *data = json_array();
    json_t *root = json_pack("{s:o, s:o}", "voices", names, "data", data);
    if (!root)
        return NULL;
    int bad = 0;
    size_t n = e->ops->speaker_count(e);
    for (size_t i = 0; i < n; i++)
        bad |= add_voice(names, data, e->ops->speaker_name(e, i), e->ops->speaker_name(e, i));
    for (size_t i = 0; i < N_ALIASES; i++)
        if (engine_has_speaker(e, g_aliases[i].speaker))
            bad |= add_voice(names, data, g_aliases[i].alias, g_aliases[i].speaker);
    char *text = bad ? NULL : json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

char *models_json(const char *engine_name)
{
    json_t *data = json_array();
    json_t *root = json_pack("{s:s, s:o}", "object", "list", "data", data);
    if (!root)
        return NULL;
    char own[96];
    snprintf(own, sizeof own, "cosyvoice-%s", engine_name);
    int bad = json_array_append_new(
        data, json_pack("{s:s, s:s, s:i, s:s}", "id", own, "object", "model", "created", 0,
                        "owned_by", "cosyvoice-c"));
    for (size_t i = 0; i < sizeof g_models / sizeof g_models[0]; i++)
        bad |= json_array_append_new(
            data, json_pack("{s:s, s:s, s:i, s:s}", "id", g_models[i], "object", "model",
                            "created", 0, "owned_by", "cosyvoice-c"));
    char *text = bad ? NULL : json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}
