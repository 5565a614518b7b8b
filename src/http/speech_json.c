#include "http/speech_json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string member: absent -> *out NULL and OK; present and not a string, or
 * holding a NUL byte -> error. */
static cv_status get_string(json_t *o, const char *key, char **out, char param[32])
{
    *out = NULL;
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return cv_ok();
    if (!json_is_string(v)) {
        snprintf(param, 32, "%s", key);
        return cv_error(CV_INVALID_ARGUMENT, "'%s' must be a string", key);
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n) {
        snprintf(param, 32, "%s", key);
        return cv_error(CV_INVALID_ARGUMENT, "'%s' contains a NUL character", key);
    }
    *out = strdup(s);
    if (!*out)
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    return cv_ok();
}

static cv_status parse_object(json_t *o, speech_params *p, char param[32])
{
    char *stream_format = NULL;
    struct {
        const char *key;
        char **dst;
    } strings[] = {{"model", &p->model},
                   {"input", &p->input},
                   {"instructions", &p->instructions},
                   {"response_format", &p->response_format},
                   {"stream_format", &stream_format}};
    cv_status st = cv_ok();
    for (size_t i = 0; i < sizeof strings / sizeof strings[0] && cv_is_ok(&st); i++)
        st = get_string(o, strings[i].key, strings[i].dst, param);
    /* voice: a name, or (newer OpenAI clients) an object {"id": name}. */
    json_t *voice = json_object_get(o, "voice");
    if (cv_is_ok(&st)) {
        st = get_string(json_is_object(voice) ? voice : o, json_is_object(voice) ? "id" : "voice",
                        &p->voice, param);
        if (!cv_is_ok(&st))
            snprintf(param, 32, "voice");
    }
    json_t *speed = json_object_get(o, "speed");
    p->speed = 1.0;
    if (cv_is_ok(&st) && speed && !json_is_null(speed)) {
        p->speed = json_is_number(speed) ? json_number_value(speed) : -1;
        if (!json_is_number(speed))
            st = cv_error(CV_INVALID_ARGUMENT, "'speed' must be a number");
        else if (!(p->speed >= SPEECH_SPEED_MIN && p->speed <= SPEECH_SPEED_MAX))
            st = cv_error(CV_INVALID_ARGUMENT, "'speed' is %g; it must be between %.2f and %.1f",
                          p->speed, SPEECH_SPEED_MIN, SPEECH_SPEED_MAX);
        if (!cv_is_ok(&st))
            snprintf(param, 32, "speed");
    }
    if (cv_is_ok(&st) && stream_format && strcmp(stream_format, "sse") != 0 &&
        strcmp(stream_format, "audio") != 0) {
        snprintf(param, 32, "stream_format");
        st = cv_error(CV_INVALID_ARGUMENT, "'stream_format' must be \"audio\" or \"sse\"");
    }
    p->sse = stream_format && strcmp(stream_format, "sse") == 0;
    free(stream_format);
    if (!cv_is_ok(&st))
        return st;
    if (p->instructions && !p->instructions[0]) {
        free(p->instructions);
        p->instructions = NULL;
    }
    if (!p->input) {
        snprintf(param, 32, "input");
        return cv_error(CV_INVALID_ARGUMENT, "'input' is required: the text to speak");
    }
    if (!p->voice || !p->voice[0]) {
        snprintf(param, 32, "voice");
        return cv_error(CV_INVALID_ARGUMENT,
                        "'voice' is required: a speaker id or a name from GET /v1/audio/voices");
    }
    if (!p->response_format && !(p->response_format = strdup("mp3")))
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    return cv_ok();
}

cv_status speech_json_parse(const char *body, size_t len, speech_params *out, char param[32])
{
    memset(out, 0, sizeof *out);
    param[0] = '\0';
    json_error_t err;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
    if (!root)
        return cv_error(CV_INVALID_ARGUMENT,
                        "the body is not valid JSON (line %d, column %d: %s)", err.line,
                        err.column, err.text);
    cv_status st;
    if (!json_is_object(root))
        st = cv_error(CV_INVALID_ARGUMENT, "the body must be a JSON object");
    else
        st = parse_object(root, out, param);
    json_decref(root);
    if (!cv_is_ok(&st))
        speech_params_free(out);
    return st;
}

void speech_params_free(speech_params *p)
{
    free(p->model);
    free(p->input);
    free(p->voice);
    free(p->instructions);
    free(p->response_format);
    memset(p, 0, sizeof *p);
}
