#include "text/whisper_specials.h"

#include <stdio.h>

/* Whisper's language codes in its own order; the order fixes the ids. */
static const char *const LANGS[WHISPER_N_LANGUAGES] = {
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl",
    "ar", "sv", "it", "id", "hi", "fi", "vi", "he", "uk", "el", "ms", "cs", "ro",
    "da", "hu", "ta", "no", "th", "ur", "hr", "bg", "lt", "la", "mi", "ml", "cy",
    "sk", "te", "fa", "lv", "bn", "sr", "az", "sl", "kn", "et", "mk", "br", "eu",
    "is", "hy", "ne", "mn", "bs", "kk", "sq", "sw", "gl", "mr", "pa", "si", "km",
    "sn", "yo", "so", "af", "oc", "ka", "be", "tg", "sd", "gu", "am", "yi", "lo",
    "uz", "fo", "ht", "ps", "tk", "nn", "mt", "sa", "lb", "my", "bo", "tl", "mg",
    "as", "tt", "haw", "ln", "ha", "ba", "jw", "su", "yue",
};

static const char *const CONTROL[6] = {
    "translate", "transcribe", "startoflm", "startofprev", "nospeech", "notimestamps",
};

size_t whisper_special_name(size_t i, char *buf, size_t cap)
{
    int n;
    if (i == 0) {
        n = snprintf(buf, cap, "<|endoftext|>");
    } else if (i == 1) {
        n = snprintf(buf, cap, "<|startoftranscript|>");
    } else if ((i -= 2) < WHISPER_N_LANGUAGES) {
        n = snprintf(buf, cap, "<|%s|>", LANGS[i]);
    } else if ((i -= WHISPER_N_LANGUAGES) < 6) {
        n = snprintf(buf, cap, "<|%s|>", CONTROL[i]);
    } else if ((i -= 6) < WHISPER_N_TIMESTAMPS) {
        /* i * 0.02 s printed with two decimals, done in integers so no
         * floating-point rounding can creep in. */
        n = snprintf(buf, cap, "<|%zu.%02zu|>", i / 50, (i % 50) * 2);
    } else {
        return 0;
    }
    return (n > 0 && (size_t)n < cap) ? (size_t)n : 0;
}
