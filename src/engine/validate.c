#include "engine/validate.h"

#include <string.h>

#include "common/utf8.h"

bool text_is_blank(const char *s)
{
    size_t len = strlen(s), i = 0;
    while (i < len) {
        uint32_t cp;
        int n = utf8_decode(s + i, len - i, &cp);
        bool space = cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x3000 || cp == 0xA0 ||
                     (cp >= 0x2000 && cp <= 0x200B) || cp == 0xFEFF;
        if (!space)
            return false;
        i += (size_t)n;
    }
    return true;
}

static cv_status check_string(const char *field, const char *s)
{
    if (!utf8_valid(s, strlen(s)))
        return cv_error(CV_INVALID_ARGUMENT, "%s is not valid UTF-8", field);
    return cv_ok();
}

static cv_status check_prompt(const tts_request *r, const tts_limits *lim)
{
    const char *mode = tts_mode_name(r->mode);
    if (r->prompt_samples == 0)
        return cv_error(CV_INVALID_ARGUMENT,
                        "%s needs prompt_audio: a recording of the voice to clone "
                        "(raw 16-bit little-endian mono PCM at 16 kHz)", mode);
    /* Compared and reported in samples: seconds rounded for the message
     * could make a refusal read "0.50 s; at least 0.5 s needed". */
    double secs = (double)r->prompt_samples / TTS_PROMPT_RATE;
    size_t min_samples = (size_t)(TTS_MIN_PROMPT_SECONDS * TTS_PROMPT_RATE);
    size_t max_samples = (size_t)(lim->max_prompt_seconds * TTS_PROMPT_RATE);
    if (r->prompt_samples < min_samples)
        return cv_error(CV_INVALID_ARGUMENT,
                        "prompt_audio is %zu samples (%.4f s) long; at least %zu samples "
                        "(%g s) of speech are needed (is it really 16 kHz 16-bit PCM?)",
                        r->prompt_samples, secs, min_samples, TTS_MIN_PROMPT_SECONDS);
    if (r->prompt_samples > max_samples)
        return cv_error(CV_INVALID_ARGUMENT,
                        "prompt_audio is %zu samples (%.4f s) long; the limit is %zu samples "
                        "(%g s, --max-prompt-seconds)",
                        r->prompt_samples, secs, max_samples, lim->max_prompt_seconds);
    /* All silence: nothing to learn a voice from. Threshold ~ -60 dBFS. */
    int peak = 0;
    for (size_t i = 0; i < r->prompt_samples; i++) {
        int v = r->prompt_pcm[i] < 0 ? -(int)r->prompt_pcm[i] : r->prompt_pcm[i];
        if (v > peak) peak = v;
    }
    if (peak < 33)
        return cv_error(CV_INVALID_ARGUMENT, "prompt_audio is silent (peak below -60 dBFS)");
    return cv_ok();
}

cv_status tts_request_validate(const tts_request *r, const tts_limits *lim)
{
    cv_status st;
    if ((unsigned)r->mode >= TTS_MODE_COUNT)
        return cv_error(CV_INVALID_ARGUMENT, "request has no payload: set one of sft_request, "
                        "zero_shot_request, cross_lingual_request, instruct_request");
    const char *fields[][2] = {{"tts_text", r->tts_text}, {"spk_id", r->spk_id},
                               {"prompt_text", r->prompt_text},
                               {"instruct_text", r->instruct_text}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        st = check_string(fields[i][0], fields[i][1]);
        if (!cv_is_ok(&st))
            return st;
    }
    /* Streamed text (r->source) is checked as it arrives (text_pipe.c);
     * a tts_text given with it is only its first piece. */
    if (!r->source && text_is_blank(r->tts_text))
        return cv_error(CV_INVALID_ARGUMENT, "tts_text is empty: nothing to synthesize");
    size_t chars = utf8_length(r->tts_text, strlen(r->tts_text));
    if (chars > lim->max_text_chars)
        return cv_error(CV_INVALID_ARGUMENT,
                        "tts_text has %zu characters; the limit is %zu (--max-text): "
                        "split the text into several calls", chars, lim->max_text_chars);
    chars = utf8_length(r->prompt_text, strlen(r->prompt_text));
    if (chars > TTS_MAX_PROMPT_TEXT)
        return cv_error(CV_INVALID_ARGUMENT,
                        "prompt_text has %zu characters; the limit is %d (a transcript of "
                        "the prompt recording)", chars, TTS_MAX_PROMPT_TEXT);
    chars = utf8_length(r->instruct_text, strlen(r->instruct_text));
    if (chars > TTS_MAX_INSTRUCT_TEXT)
        return cv_error(CV_INVALID_ARGUMENT,
                        "instruct_text has %zu characters; the limit is %d", chars,
                        TTS_MAX_INSTRUCT_TEXT);
    /* !(a <= x <= b) also refuses NaN. */
    if (!(r->speed >= TTS_MIN_SPEED && r->speed <= TTS_MAX_SPEED))
        return cv_error(CV_INVALID_ARGUMENT,
                        "speed %g is out of range: use %g to %g (1 = normal; 0 or unset "
                        "means 1)", (double)r->speed, (double)TTS_MIN_SPEED,
                        (double)TTS_MAX_SPEED);
    switch (r->mode) {
    case TTS_MODE_INSTRUCT:
        if (r->prompt_samples && !text_is_blank(r->spk_id))
            return cv_error(CV_INVALID_ARGUMENT,
                            "instruct takes spk_id or prompt_audio, not both");
        if (r->prompt_samples) return check_prompt(r, lim); /* instruct2 with a recording */
        if (text_is_blank(r->spk_id))
            return cv_error(CV_INVALID_ARGUMENT,
                            "instruct needs spk_id (a preset speaker or saved voice) or "
                            "prompt_audio (CosyVoice2/3)");
        break;
    case TTS_MODE_SFT:
        if (text_is_blank(r->spk_id))
            return cv_error(CV_INVALID_ARGUMENT, "%s needs spk_id (a preset speaker)",
                            tts_mode_name(r->mode));
        break;
    case TTS_MODE_ZERO_SHOT:
        if (text_is_blank(r->prompt_text))
            return cv_error(CV_INVALID_ARGUMENT,
                            "zero_shot needs prompt_text: the transcript of prompt_audio "
                            "(use cross_lingual when there is none)");
        return check_prompt(r, lim);
    case TTS_MODE_CROSS_LINGUAL:
        return check_prompt(r, lim);
    default:
        break;
    }
    return cv_ok();
}
