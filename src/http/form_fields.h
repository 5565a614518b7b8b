/* The form fields of the reference routes (/inference_*), collected from
 * libmicrohttpd's post processor (multipart/form-data or urlencoded bodies)
 * or from the query string. Unknown fields are ignored; a field sent twice
 * keeps its last value. Values keep every byte (NUL included) so the
 * checks after can refuse what they must rather than see a cut string. */
#ifndef CV_FORM_FIELDS_H
#define CV_FORM_FIELDS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum form_field {
    FORM_TTS_TEXT = 0,
    FORM_SPK_ID,
    FORM_PROMPT_TEXT,
    FORM_INSTRUCT_TEXT,
    FORM_SPEED,      /* extension: speaking rate */
    FORM_PROMPT_WAV, /* a file upload: the prompt recording */
    FORM_N
} form_field;

typedef struct form_fields {
    char *value[FORM_N]; /* NUL-terminated after len bytes; NULL if absent */
    size_t len[FORM_N], cap[FORM_N];
    bool oom;
} form_fields;

/* The field's wire name ("tts_text", ...); -1 from form_field_find for
 * names that are not ours. */
const char *form_field_name(form_field f);
int form_field_find(const char *name);

/* Appends size bytes at offset off of field `name` (off 0 starts it anew).
 * False only when out of memory. */
bool form_fields_add(form_fields *f, const char *name, const char *data, uint64_t off,
                     size_t size);

/* libmicrohttpd's MHD_PostDataIterator over a form_fields (cls). */
enum MHD_Result form_fields_iterate(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *filename, const char *content_type,
                                    const char *transfer_encoding, const char *data,
                                    uint64_t off, size_t size);

/* True if the field is present and holds no NUL byte (a C string). */
bool form_field_is_text(const form_fields *f, form_field k);

void form_fields_free(form_fields *f);

#endif
