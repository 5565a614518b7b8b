/* The built-in default engine "espeak": rule-based synthesis with espeak-ng
 * (and flite for English), no model files. Text goes through the shared
 * front end; each segment is synthesized under the back end's lock into a
 * private buffer and then streamed to the sink outside the lock, so a slow
 * client never holds up other calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "engine/engine.h"
#include "engine/espeak/espeak_backend.h"
#include "engine/espeak/flite_backend.h"
#include "engine/espeak/voice_plan.h"
#include "engine/espeak/voices.h"
#include "text/frontend.h"

#define STREAM_PIECE_SAMPLES (ESPEAK_SAMPLE_RATE / 4) /* 0.25 s per write */
#define PAUSE_CLAUSE_SECONDS 0.12
#define PAUSE_SENTENCE_SECONDS 0.30

typedef struct espeak_engine {
    engine base;
} espeak_engine;

extern const engine_ops espeak_engine_ops;

static cv_status e_open(const engine_options *opt, engine **out)
{
    (void)opt;
    char err[160];
    if (espeak_backend_init(err, sizeof err))
        return cv_error(CV_FAILED_PRECONDITION, "%s", err);
    if (flite_backend_init())
        return cv_error(CV_FAILED_PRECONDITION, "flite voices failed to load");
    /* Measure each preset speaker's pitch calibration now rather than on
     * its first request, so first-audio latency stays low. English speakers
     * use flite (F0 targets in Hz) for English, espeak-ng's Mandarin for
     * Chinese text, the commonest mix. */
    for (size_t i = 0; i < speaker_count(); i++) {
        const speaker *s = speaker_at(i);
        prosody p = speaker_prosody(s);
        float lo, hi;
        espeak_backend_f0_span(espeak_voice_for(s->lang == LANG_EN ? LANG_ZH : s->lang, LANG_ZH),
                               &p, &lo, &hi);
    }
    espeak_engine *e = calloc(1, sizeof *e);
    if (!e)
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    e->base.ops = &espeak_engine_ops;
    *out = &e->base;
    return cv_ok();
}

static void e_close(engine *e) { free(e); }

static int e_sample_rate(const engine *e)
{
    (void)e;
    return ESPEAK_SAMPLE_RATE;
}

static size_t e_speaker_count(const engine *e)
{
    (void)e;
    return speaker_count();
}

static const char *e_speaker_name(const engine *e, size_t i)
{
    (void)e;
    const speaker *s = speaker_at(i);
    return s ? s->id : NULL;
}

static cv_status e_check(engine *e, const tts_request *req)
{
    if ((unsigned)req->mode >= TTS_MODE_COUNT)
        return cv_error(CV_INVALID_ARGUMENT, "unsupported mode");
    if ((req->mode == TTS_MODE_SFT || req->mode == TTS_MODE_INSTRUCT) &&
        !engine_has_speaker(e, req->spk_id)) {
        char list[256];
        engine_speaker_list(e, list, sizeof list);
        return cv_error(CV_INVALID_ARGUMENT, "unknown speaker '%s' (available: %s)",
                        req->spk_id, list);
    }
    if ((req->mode == TTS_MODE_ZERO_SHOT || req->mode == TTS_MODE_CROSS_LINGUAL) &&
        (!req->prompt_pcm || !req->prompt_samples))
        return cv_error(CV_INVALID_ARGUMENT, "%s needs a prompt recording",
                        tts_mode_name(req->mode));
    return cv_ok();
}

/* Sends buf to the sink: in pieces when streaming, else as one chunk.
 * Returns false once the sink has been cancelled. */
static bool deliver(tts_sink *sink, const pcm_buf *buf, bool stream)
{
    size_t piece = stream ? STREAM_PIECE_SAMPLES : buf->len;
    for (size_t off = 0; off < buf->len; off += piece) {
        size_t n = buf->len - off < piece ? buf->len - off : piece;
        /* Avoid a tiny last piece: fold it into this one. */
        if (stream && buf->len - off - n < piece / 4)
            n = buf->len - off;
        if (!sink->write(sink, buf->data + off, n))
            return false;
        if (n == buf->len - off)
            break;
    }
    return true;
}

static cv_status e_synthesize(engine *e, const tts_request *req, tts_sink *sink)
{
    cv_status st = e_check(e, req);
    if (!cv_is_ok(&st))
        return st;
    voice_plan plan;
    st = voice_plan_build(req, &plan);
    if (!cv_is_ok(&st))
        return st;
    text_frontend_options fo = {.default_lang = plan.default_lang};
    text_segments segs = {0};
    st = text_frontend_run(req->tts_text, &fo, &segs);
    size_t speech = 0;
    for (size_t i = 0; cv_is_ok(&st) && i < segs.count; i++)
        speech += segs.items[i].event != TEXT_EVENT_NONE || text_has_alnum(segs.items[i].text);
    if (cv_is_ok(&st) && speech == 0) /* as the neural engine: no audio is no answer */
        st = cv_error(CV_INVALID_ARGUMENT, TEXT_NOTHING_TO_SPEAK);
    if (!cv_is_ok(&st)) {
        text_segments_free(&segs);
        voice_plan_free(&plan);
        return st;
    }
    pcm_buf buf = {0};
    for (size_t i = 0; i < segs.count && cv_is_ok(&st); i++) {
        if (sink->cancelled(sink)) {
            st = cv_error(CV_CANCELLED, "cancelled");
            break;
        }
        buf.len = 0;
        if (voice_plan_render(&plan, &segs.items[i], &buf)) {
            st = cv_error(CV_INTERNAL, "synthesis failed for segment %zu", i);
            break;
        }
        if (i + 1 < segs.count) {
            double pause = segs.items[i].sentence_end ? PAUSE_SENTENCE_SECONDS
                                                      : PAUSE_CLAUSE_SECONDS;
            if (pcm_buf_append_silence(&buf, (size_t)(pause * ESPEAK_SAMPLE_RATE))) {
                st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
                break;
            }
        }
        if (buf.len && !deliver(sink, &buf, req->stream))
            st = cv_error(CV_CANCELLED, "cancelled");
    }
    LOG_DEBUG("espeak[%s]: %zu segments, status %s", req->request_id ? req->request_id : "",
              segs.count, cv_code_name(st.code));
    pcm_buf_free(&buf);
    text_segments_free(&segs);
    voice_plan_free(&plan);
    return st;
}

const engine_ops espeak_engine_ops = {
    .name = "espeak",
    .description = "built-in rule-based synthesis (espeak-ng, flite for English); "
                   "no model files",
    .open = e_open,
    .close = e_close,
    .sample_rate = e_sample_rate,
    .speaker_count = e_speaker_count,
    .speaker_name = e_speaker_name,
    .check = e_check,
    .synthesize = e_synthesize,
};
