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
#include "engine/text_pieces.h"
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
    if (req->mode == TTS_MODE_INSTRUCT && req->prompt_samples)
        return cv_error(CV_FAILED_PRECONDITION, TTS_INSTRUCT2_UNSUPPORTED, "espeak");
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

/* Where a call is between segments. With streamed text, segment k is
 * rendered with the pause that separates it from segment k-1 in front: the
 * segment after the current one may not exist yet. */
typedef struct speak_state {
    pcm_buf buf;
    size_t done;     /* segments spoken */
    size_t speech;   /* of those, segments with something to say */
    bool prev_end;   /* the previous segment ended a sentence */
} speak_state;

static int pause(pcm_buf *buf, bool sentence_end)
{
    double secs = sentence_end ? PAUSE_SENTENCE_SECONDS : PAUSE_CLAUSE_SECONDS;
    return pcm_buf_append_silence(buf, (size_t)(secs * ESPEAK_SAMPLE_RATE));
}

/* Renders and delivers the segments of segs with the pauses between them. */
static cv_status speak(voice_plan *plan, const text_segments *segs, const tts_request *req,
                 tts_sink *sink, speak_state *ss)
{
    for (size_t i = 0; i < segs->count; i++) {
        if (sink->cancelled(sink)) return cv_error(CV_CANCELLED, "cancelled");
        ss->buf.len = 0;
        /* whole text: the pause ends the previous chunk, as it always has;
         * streamed text: it starts this one (the same audio in all) */
        if (req->source && ss->done > 0 && pause(&ss->buf, ss->prev_end))
            return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        const text_segment *seg = &segs->items[i];
        if (voice_plan_render(plan, seg, &ss->buf))
            return cv_error(CV_INTERNAL, "synthesis failed for segment %zu", ss->done);
        if (!req->source && i + 1 < segs->count && pause(&ss->buf, seg->sentence_end))
            return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        ss->speech += seg->event != TEXT_EVENT_NONE || text_has_alnum(seg->text);
        ss->prev_end = seg->sentence_end;
        ss->done++;
        if (ss->buf.len && !deliver(sink, &ss->buf, req->stream))
            return cv_error(CV_CANCELLED, "cancelled");
    }
    return cv_ok();
}

/* Text streamed in (StreamInference): every complete piece goes through
 * the front end and is spoken before the next one is waited for. */
static cv_status speak_source(voice_plan *plan, const tts_request *req, tts_sink *sink,
                              speak_state *ss)
{
    text_frontend_options fo = {.default_lang = plan->default_lang};
    text_pieces tp;
    text_pieces_init(&tp, req->source, 0);
    cv_status st = cv_ok();
    for (;;) {
        char *piece = NULL;
        st = text_pieces_next(&tp, &piece);
        if (!cv_is_ok(&st) || !piece) break;
        text_segments segs = {0};
        st = text_frontend_run(piece, &fo, &segs);
        LOG_DEBUG("espeak[%s]: piece |%s|: %zu segments", req->request_id ? req->request_id : "",
                  piece, segs.count);
        free(piece);
        if (cv_is_ok(&st)) st = speak(plan, &segs, req, sink, ss);
        text_segments_free(&segs);
        if (!cv_is_ok(&st)) break;
    }
    text_pieces_free(&tp);
    if (cv_is_ok(&st) && ss->speech == 0) st = cv_error(CV_INVALID_ARGUMENT, TEXT_NOTHING_TO_SPEAK);
    return st;
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
    speak_state ss = {0};
    size_t total = 0; /* segments of the whole text (streamed: spoken) */
    if (req->source) {
        st = speak_source(&plan, req, sink, &ss);
    } else {
        text_frontend_options fo = {.default_lang = plan.default_lang};
        text_segments segs = {0};
        st = text_frontend_run(req->tts_text, &fo, &segs);
        size_t speech = 0;
        for (size_t i = 0; cv_is_ok(&st) && i < segs.count; i++)
            speech += segs.items[i].event != TEXT_EVENT_NONE || text_has_alnum(segs.items[i].text);
        if (cv_is_ok(&st) && speech == 0) /* as the neural engine: no audio is no answer */
            st = cv_error(CV_INVALID_ARGUMENT, TEXT_NOTHING_TO_SPEAK);
        if (cv_is_ok(&st))
            st = speak(&plan, &segs, req, sink, &ss);
        total = segs.count;
        text_segments_free(&segs);
    }
    if (req->source)
        total = ss.done;
    LOG_DEBUG("espeak[%s]: %zu segments, status %s", req->request_id ? req->request_id : "",
              total, cv_code_name(st.code));
    pcm_buf_free(&ss.buf);
    voice_plan_free(&plan);
    return st;
}

static bool e_reads_source(const engine *e, const tts_request *req)
{
    (void)e;
    (void)req;
    return true;
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
    .reads_source = e_reads_source,
};
