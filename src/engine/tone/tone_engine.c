/* The "tone" engine: a diagnostic engine with fully predictable output, for
 * testing the server's mechanics (streaming, backpressure, cancellation,
 * failures) without depending on a real synthesizer.
 *
 * Every sentence of tts_text (split at . ! ? 。！？) becomes one chunk of a
 * sine tone, 0.2 s plus 10 ms per byte of the sentence, at 22050 Hz; the
 * tone's pitch comes from the speaker. In instruct mode, instruct_text may
 * hold "delay=MS" (sleep before each chunk, to simulate slow synthesis) and
 * "fail" (an internal error after the first chunk). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"

#define TONE_RATE 22050

static const char *const g_speakers[] = {"tone-low", "tone-high"};

typedef struct tone_engine {
    engine base;
} tone_engine;

static cv_status tone_open(const engine_options *opt, engine **out)
{
    (void)opt;
    extern const engine_ops tone_engine_ops;
    tone_engine *e = calloc(1, sizeof *e);
    if (!e)
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    e->base.ops = &tone_engine_ops;
    *out = &e->base;
    return cv_ok();
}

static void tone_close(engine *e) { free(e); }
static int tone_rate(const engine *e) { (void)e; return TONE_RATE; }
static size_t tone_count(const engine *e) { (void)e; return 2; }
static const char *tone_name(const engine *e, size_t i) { (void)e; return g_speakers[i]; }

static cv_status tone_check(engine *e, const tts_request *r)
{
    if (r->mode == TTS_MODE_INSTRUCT && r->prompt_samples)
        return cv_error(CV_FAILED_PRECONDITION, TTS_INSTRUCT2_UNSUPPORTED, "tone");
    if ((r->mode == TTS_MODE_SFT || r->mode == TTS_MODE_INSTRUCT) &&
        !engine_has_speaker(e, r->spk_id))
        return cv_error(CV_INVALID_ARGUMENT, "unknown spk_id '%s' (valid: tone-low, tone-high)",
                        r->spk_id);
    return cv_ok();
}

static bool is_sentence_end(const char *p, size_t *len)
{
    if (*p == '.' || *p == '!' || *p == '?') { *len = 1; return true; }
    if (!strncmp(p, "\xe3\x80\x82", 3) || !strncmp(p, "\xef\xbc\x81", 3) ||
        !strncmp(p, "\xef\xbc\x9f", 3)) { *len = 3; return true; }
    return false;
}

static cv_status tone_synthesize(engine *e, const tts_request *r, tts_sink *sink)
{
    (void)e;
    double freq = strcmp(r->spk_id, "tone-high") == 0 ? 440.0 : 220.0;
    long delay_ms = 0;
    bool fail = false;
    if (r->mode == TTS_MODE_INSTRUCT) {
        const char *d = strstr(r->instruct_text, "delay=");
        if (d)
            delay_ms = strtol(d + 6, NULL, 10);
        fail = strstr(r->instruct_text, "fail") != NULL;
    }
    const char *p = r->tts_text;
    size_t phase = 0;
    int chunk_no = 0;
    while (*p) {
        const char *start = p;
        size_t endlen = 0;
        while (*p && !is_sentence_end(p, &endlen))
            p++;
        p += endlen;
        size_t bytes = (size_t)(p - start);
        if (sink->cancelled(sink))
            return cv_error(CV_CANCELLED, "cancelled");
        if (delay_ms > 0) {
            struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (fail && chunk_no == 1)
            return cv_error(CV_INTERNAL, "tone engine: simulated failure (instruct 'fail')");
        size_t n = (size_t)(TONE_RATE * (0.2 + 0.01 * (double)bytes) / r->speed);
        int16_t *pcm = malloc(n * sizeof *pcm);
        if (!pcm)
            return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        for (size_t i = 0; i < n; i++, phase++)
            pcm[i] = (int16_t)(8000.0 * sin(2 * M_PI * freq * (double)phase / TONE_RATE));
        bool ok = sink->write(sink, pcm, n);
        free(pcm);
        if (!ok)
            return cv_error(CV_CANCELLED, "cancelled");
        chunk_no++;
        while (*p == ' ')
            p++;
    }
    return cv_ok();
}

const engine_ops tone_engine_ops = {
    .name = "tone",
    .description = "diagnostic sine-tone engine for tests",
    .open = tone_open,
    .close = tone_close,
    .sample_rate = tone_rate,
    .speaker_count = tone_count,
    .speaker_name = tone_name,
    .check = tone_check,
    .synthesize = tone_synthesize,
};
