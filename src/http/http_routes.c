/* The routes: what each request means, turned into a tts_request (or a
 * clear refusal) before it is handed to the streamed call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_file.h"
#include "audio/stream_encoder.h"
#include "http/http_internal.h"
#include "http/speech_json.h"
#include "http/voices.h"
#include "http/web_assets.h"

/* OpenAI's raw "pcm" is 24 kHz; clients play it at that rate. */
#define OPENAI_PCM_RATE 24000

/* ------------------------------------------------------------- the page */

enum MHD_Result http_serve_asset(http_req *r, struct MHD_Connection *conn, const char *url)
{
    if (strcmp(url, "/") == 0)
        url = "/index.html";
    for (size_t i = 0; i < web_assets_count; i++)
        if (strcmp(url, web_assets[i].path) == 0)
            return http_reply(r, conn, 200, web_assets[i].type, web_assets[i].data,
                              web_assets[i].len);
    return http_reply_error(r, conn, 404, "not_found", NULL, "no such route; see GET /");
}

static enum MHD_Result reply_json_text(http_req *r, struct MHD_Connection *conn, char *text)
{
    if (!text)
        return http_reply_error(r, conn, 500, NULL, NULL, "out of memory");
    enum MHD_Result ret = http_reply(r, conn, 200, "application/json", text, strlen(text));
    free(text);
    return ret;
}

enum MHD_Result http_serve_models(http_req *r, struct MHD_Connection *conn)
{
    return reply_json_text(r, conn, models_json(r->door->srv->opt.engine));
}

enum MHD_Result http_serve_voices(http_req *r, struct MHD_Connection *conn)
{
    return reply_json_text(r, conn, voices_json(r->door->srv->eng));
}

/* ------------------------------------------------ POST /v1/audio/speech */

enum MHD_Result http_start_speech(http_req *r, struct MHD_Connection *conn)
{
    server_ctx *s = r->door->srv;
    tts_request req = {.mode = TTS_MODE_COUNT, .tts_text = "", .spk_id = "", .prompt_text = "",
                       .instruct_text = "", .speed = 1.0f, .stream = true};
    speech_params p;
    char param[32];
    cv_status st = r->json ? speech_json_parse(r->json, r->json_len, &p, param)
                           : cv_error(CV_INVALID_ARGUMENT,
                                      "the body is empty: send a JSON object with input and voice");
    if (!r->json)
        param[0] = '\0';
    if (!cv_is_ok(&st))
        return http_call_reject(r, conn, &req, &st, 0,
                                param[0] ? "invalid_value" : "invalid_json", param);
    req.mode = p.instructions ? TTS_MODE_INSTRUCT : TTS_MODE_SFT;
    req.tts_text = p.input;
    int fmt = audio_format_parse(p.response_format);
    if (fmt < 0) {
        st = cv_error(CV_INVALID_ARGUMENT,
                      "response_format '%.40s' is not supported here%s; use one of: %s",
                      p.response_format,
                      strcmp(p.response_format, "aac") == 0
                          ? " (none of the audio libraries this server uses encodes AAC)" : "",
                      audio_format_list());
        enum MHD_Result ret =
            http_call_reject(r, conn, &req, &st, 400, "unsupported_format", "response_format");
        speech_params_free(&p);
        return ret;
    }
    const char *spk = voice_resolve(s->eng, p.voice);
    if (!spk) {
        char list[400];
        engine_speaker_list(s->eng, list, sizeof list);
        st = cv_error(CV_NOT_FOUND,
                      "voice '%.60s' is not known; use a speaker id (%s) or a name listed at "
                      "GET /v1/audio/voices", p.voice, list);
        enum MHD_Result ret = http_call_reject(r, conn, &req, &st, 404, "voice_not_found", "voice");
        speech_params_free(&p);
        return ret;
    }
    req.spk_id = spk;
    req.instruct_text = p.instructions ? p.instructions : "";
    req.speed = (float)p.speed;
    st = call_accept(s, &req);
    if (!cv_is_ok(&st)) {
        enum MHD_Result ret = http_call_reject(r, conn, &req, &st, 0, NULL, NULL);
        speech_params_free(&p);
        return ret;
    }
    http_call_spec spec = {.req = req, .format = fmt, .sse = p.sse,
                           .out_rate = fmt == AUDIO_FMT_PCM ? OPENAI_PCM_RATE : 0};
    spec.owned[0] = p.input;
    spec.owned[1] = p.instructions;
    p.input = p.instructions = NULL;
    speech_params_free(&p);
    return http_call_start(r, conn, &spec);
}

/* ------------------------------------- the reference routes /inference_* */

static const form_field g_text_fields[] = {FORM_TTS_TEXT, FORM_SPK_ID, FORM_PROMPT_TEXT,
                                           FORM_INSTRUCT_TEXT, FORM_SPEED};

/* Moves a text field's value into spec (so it lives as long as the call). */
static const char *take_field(form_fields *f, form_field k, http_call_spec *spec, int slot)
{
    if (!f->value[k])
        return "";
    spec->owned[slot] = f->value[k];
    f->value[k] = NULL;
    return spec->owned[slot];
}

enum MHD_Result http_start_infer(http_req *r, struct MHD_Connection *conn)
{
    server_ctx *s = r->door->srv;
    form_fields *f = &r->form;
    int mode = r->infer_mode;
    tts_request req = {.mode = mode == INFER_MODE_INSTRUCT2 ? TTS_MODE_INSTRUCT : (tts_mode)mode,
                       .tts_text = "", .spk_id = "", .prompt_text = "", .instruct_text = "",
                       .speed = 1.0f, .stream = true};
    cv_status st = cv_ok();
    const char *param = NULL;
    for (size_t i = 0; i < sizeof g_text_fields / sizeof g_text_fields[0] && cv_is_ok(&st); i++)
        if (f->value[g_text_fields[i]] && !form_field_is_text(f, g_text_fields[i])) {
            param = form_field_name(g_text_fields[i]);
            st = cv_error(CV_INVALID_ARGUMENT, "%s contains a NUL byte", param);
        }
    if (cv_is_ok(&st) && !f->value[FORM_TTS_TEXT]) {
        param = "tts_text";
        st = cv_error(CV_INVALID_ARGUMENT, "tts_text is required: the text to speak, as a form "
                                           "field");
    }
    /* instruct2 (the reference's Form(): tts_text, instruct_text,
     * prompt_wav) is instruct conditioned on the recording instead of a
     * spk_id; an engine that cannot serve it says so in its check. */
    if (cv_is_ok(&st) && mode == INFER_MODE_INSTRUCT2 &&
        (!f->value[FORM_INSTRUCT_TEXT] || !f->value[FORM_INSTRUCT_TEXT][0])) {
        param = "instruct_text";
        st = cv_error(CV_INVALID_ARGUMENT, "instruct2 needs instruct_text: the instruction, "
                                           "as a form field");
    }
    if (cv_is_ok(&st) && f->value[FORM_SPEED]) {
        char *end;
        errno = 0;
        double v = strtod(f->value[FORM_SPEED], &end);
        if (errno || end == f->value[FORM_SPEED] || *end || !(v >= 0.25 && v <= 4.0)) {
            param = "speed";
            st = cv_error(CV_INVALID_ARGUMENT, "speed must be a number from 0.25 to 4.0, got "
                                               "'%.32s'", f->value[FORM_SPEED]);
        }
        req.speed = (float)v;
    }
    http_call_spec spec = {.format = AUDIO_FMT_PCM};
    bool needs_prompt = mode == TTS_MODE_ZERO_SHOT || mode == TTS_MODE_CROSS_LINGUAL ||
                        mode == INFER_MODE_INSTRUCT2;
    if (cv_is_ok(&st) && needs_prompt) {
        param = "prompt_wav";
        if (!f->value[FORM_PROMPT_WAV]) {
            st = cv_error(CV_INVALID_ARGUMENT,
                          "%s needs prompt_wav: a recording of the voice to clone, uploaded as a "
                          "file (any format and rate libsndfile reads)",
                          mode == INFER_MODE_INSTRUCT2 ? "instruct2" : tts_mode_name(mode));
        } else {
            audio_pcm pcm;
            st = audio_file_load_mono_memory(f->value[FORM_PROMPT_WAV], f->len[FORM_PROMPT_WAV],
                                             "prompt_wav", TTS_PROMPT_RATE, &pcm);
            if (st.code == CV_NOT_FOUND) /* memory has no missing files: it is not audio */
                st.code = CV_INVALID_ARGUMENT;
            if (cv_is_ok(&st)) {
                spec.prompt = pcm.samples;
                req.prompt_pcm = pcm.samples;
                req.prompt_samples = pcm.n;
            }
        }
    }
    if (cv_is_ok(&st)) {
        req.tts_text = take_field(f, FORM_TTS_TEXT, &spec, 0);
        /* the reference's instruct2 has no spk_id: one sent is ignored */
        req.spk_id = mode == INFER_MODE_INSTRUCT2 ? "" : take_field(f, FORM_SPK_ID, &spec, 1);
        req.prompt_text = take_field(f, FORM_PROMPT_TEXT, &spec, 2);
        req.instruct_text = take_field(f, FORM_INSTRUCT_TEXT, &spec, 3);
        param = NULL;
        st = call_accept(s, &req);
    }
    if (!cv_is_ok(&st)) {
        if (!req.tts_text[0] && form_field_is_text(f, FORM_TTS_TEXT))
            req.tts_text = f->value[FORM_TTS_TEXT];
        enum MHD_Result ret = http_call_reject(r, conn, &req, &st, 0, NULL, param);
        for (size_t i = 0; i < sizeof spec.owned / sizeof spec.owned[0]; i++)
            free(spec.owned[i]);
        free(spec.prompt);
        return ret;
    }
    spec.req = req;
    return http_call_start(r, conn, &spec);
}
