#include "engine/espeak/voice_plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/espeak/espeak_backend.h"
#include "engine/espeak/flite_backend.h"
#include "engine/espeak/instruct.h"
#include "engine/espeak/kana_reading.h"
#include "engine/espeak/voices.h"

#define DEFAULT_SPEAKER "中文女"

cv_status voice_plan_build(const tts_request *req, voice_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    const speaker *s = NULL;
    if (req->mode == TTS_MODE_SFT || req->mode == TTS_MODE_INSTRUCT)
        s = speaker_find(req->spk_id);
    else
        s = speaker_find(DEFAULT_SPEAKER);
    if (!s)
        return cv_error(CV_INVALID_ARGUMENT, "unknown speaker '%s'", req->spk_id);
    plan->base = speaker_prosody(s);
    plan->default_lang = s->lang;
    if (req->mode == TTS_MODE_INSTRUCT) {
        instruct_effect fx;
        instruct_parse(req->instruct_text, &fx);
        instruct_apply(&fx, &plan->base);
    }
    if (req->mode == TTS_MODE_ZERO_SHOT || req->mode == TTS_MODE_CROSS_LINGUAL)
        plan->default_lang = LANG_UNKNOWN;
    float speed = req->speed > 0 ? req->speed : 1.0f;
    plan->base.rate *= speed;
    if ((req->mode == TTS_MODE_ZERO_SHOT || req->mode == TTS_MODE_CROSS_LINGUAL) &&
        voice_match_init(&plan->match, req, &plan->base))
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory analysing the prompt");
    return cv_ok();
}

void voice_plan_free(voice_plan *plan) { (void)plan; }

/* Prosody for one segment: emphasis is slower, louder and higher; text
 * inside <laughter> is brighter and livelier. */
static prosody segment_prosody(const voice_plan *plan, const text_segment *seg)
{
    prosody p = plan->base;
    if (seg->emphasis) {
        p.f0_hz *= 1.08f;
        p.range *= 1.4f;
        p.rate *= 0.88f;
        p.gain_db += 3.0f;
    }
    if (seg->laughing) {
        p.f0_hz *= 1.10f;
        p.range *= 1.3f;
        p.rate *= 1.05f;
    }
    return p;
}

/* A breath: 0.3 s of low-level noise under a smooth rise-and-fall envelope,
 * low-passed by a one-pole filter so it sounds airy rather than hissy. */
static int append_breath(pcm_buf *out)
{
    size_t n = (size_t)(0.3 * ESPEAK_SAMPLE_RATE);
    int16_t *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return -1;
    unsigned seed = 12345u;
    float lp = 0.0f;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        float white = ((seed >> 9) & 0xFFFF) / 32768.0f - 1.0f;
        lp += 0.25f * (white - lp);
        float env = sinf((float)M_PI * (float)i / (float)n);
        tmp[i] = (int16_t)(lp * env * env * 1800.0f);
    }
    int rc = pcm_buf_append(out, tmp, n);
    free(tmp);
    return rc;
}

/* English goes to flite (more natural than espeak-ng's English); every
 * other language, and whispered English (flite cannot whisper, espeak-ng
 * has whisper variants), to espeak-ng. */
static bool uses_flite(const char *voice, const prosody *p)
{
    return strcmp(voice, "en-us") == 0 && p->breathiness < 0.5f;
}

static int render_text(const char *voice, const prosody *p, const char *text, pcm_buf *out)
{
    bool flite = uses_flite(voice, p);
    prosody q = *p;
    q.gain_db += backend_level_offset_db(voice, p->gender, flite);
    p = &q;
    if (flite)
        return flite_backend_synth(p, text, out);
    if (strcmp(voice, "ja") == 0 && text_has_han(text)) {
        char *kana = kana_reading(text);
        if (kana) {
            int rc = espeak_backend_synth(voice, p, kana, out);
            free(kana);
            return rc;
        }
    }
    return espeak_backend_synth(voice, p, text, out);
}

/* Voice matching, per segment: the segment is measured against the prompt
 * and re-rendered when its median F0 is off (espeak-ng's Mandarin median
 * moves with the tones of the text, so a per-voice calibration is not
 * enough). The first segment with enough speech also fixes the call's
 * rate correction, timbre filter and gain. */
static int match_segment(voice_plan *plan, const text_segment *seg, const char *voice,
                         pcm_buf *out, size_t text_start)
{
    float f0f, ratef;
    bool first = !plan->match.rate_tuned;
    if (!voice_match_measure(&plan->match, out->data + text_start, out->len - text_start,
                             seg->text, &f0f, &ratef))
        return 0; /* too little speech to judge */
    if (seg->emphasis || seg->laughing)
        f0f = 1.0f; /* their raised pitch is intended */
    if (first) {
        plan->base.rate *= ratef;
        plan->match.rate_tuned = true;
    } else {
        ratef = 1.0f;
    }
    if (fabsf(logf(f0f)) > 0.05f || fabsf(logf(ratef)) > 0.08f) {
        out->len = text_start;
        prosody p = segment_prosody(plan, seg);
        p.rate *= lang_base_rate(voice);
        p.f0_hz *= f0f;
        if (render_text(voice, &p, seg->text, out))
            return -1;
    }
    int backend = uses_flite(voice, &plan->base);
    if (!plan->match.post[backend].tuned)
        voice_match_tune(&plan->match, backend, out->data + text_start, out->len - text_start);
    return 0;
}

int voice_plan_render(voice_plan *plan, const text_segment *seg, pcm_buf *out)
{
    size_t start = out->len;
    prosody p = segment_prosody(plan, seg);
    const char *voice = espeak_voice_for(seg->lang, plan->default_lang);
    p.rate *= lang_base_rate(voice);
    switch (seg->event) {
    case TEXT_EVENT_LAUGHTER: {
        prosody lp = p;
        lp.f0_hz *= 1.2f;
        lp.rate *= 1.3f;
        const char *ha = strcmp(voice, "en-us") == 0 ? "ha ha ha" : "哈哈哈";
        if (strcmp(voice, "ja") == 0) ha = "ははは";
        if (strcmp(voice, "ko") == 0) ha = "하하하";
        if (render_text(voice, &lp, ha, out))
            return -1;
        break;
    }
    case TEXT_EVENT_BREATH:
        if (append_breath(out))
            return -1;
        break;
    case TEXT_EVENT_OTHER:
        if (pcm_buf_append_silence(out, ESPEAK_SAMPLE_RATE / 4))
            return -1;
        break;
    case TEXT_EVENT_NONE:
        break;
    }
    if (seg->text && seg->text[0]) {
        size_t text_start = out->len;
        if (render_text(voice, &p, seg->text, out))
            return -1;
        if (plan->match.enabled && match_segment(plan, seg, voice, out, text_start))
            return -1;
    }
    if (plan->match.enabled)
        voice_match_post(&plan->match, uses_flite(voice, &p), out->data + start,
                         out->len - start);
    return 0;
}
