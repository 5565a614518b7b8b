#include "http/form_fields.h"

#include <stdlib.h>
#include <string.h>

static const char *const g_names[FORM_N] = {
    [FORM_TTS_TEXT] = "tts_text",         [FORM_SPK_ID] = "spk_id",
    [FORM_PROMPT_TEXT] = "prompt_text",   [FORM_INSTRUCT_TEXT] = "instruct_text",
    [FORM_SPEED] = "speed",               [FORM_PROMPT_WAV] = "prompt_wav",
};

const char *form_field_name(form_field f) { return g_names[f]; }

int form_field_find(const char *name)
{
    for (int i = 0; name && i < FORM_N; i++)
        if (strcmp(name, g_names[i]) == 0)
            return i;
    return -1;
}

bool form_fields_add(form_fields *f, const char *name, const char *data, uint64_t off,
                     size_t size)
{
    int k = form_field_find(name);
    if (k < 0)
        return true;
    if (off == 0 || !f->value[k])
        f->len[k] = 0; /* a new occurrence replaces an earlier one */
    size_t need = f->len[k] + size + 1;
    if (need > f->cap[k] || !f->value[k]) {
        size_t cap = f->cap[k] ? f->cap[k] : 64;
        while (cap < need)
            cap *= 2;
        char *v = realloc(f->value[k], cap);
        if (!v) {
            f->oom = true;
            return false;
        }
        f->value[k] = v;
        f->cap[k] = cap;
    }
    if (size)
        memcpy(f->value[k] + f->len[k], data, size);
    f->len[k] += size;
    f->value[k][f->len[k]] = '\0';
    return true;
}

enum MHD_Result form_fields_iterate(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *filename, const char *content_type,
                                    const char *transfer_encoding, const char *data,
                                    uint64_t off, size_t size)
{
    (void)kind, (void)filename, (void)content_type, (void)transfer_encoding;
    return form_fields_add(cls, key, data, off, size) ? MHD_YES : MHD_NO;
}

bool form_field_is_text(const form_fields *f, form_field k)
{
    return f->value[k] && strlen(f->value[k]) == f->len[k];
}

void form_fields_free(form_fields *f)
{
    for (int i = 0; i < FORM_N; i++)
        free(f->value[i]);
    memset(f, 0, sizeof *f);
}
