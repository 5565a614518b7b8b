/* Script classification and splitting of text into single-language runs. */
#include "text/script.h"

#include <stdlib.h>

#include <unicode/uchar.h>
#include <unicode/uscript.h>

text_script script_of(uint32_t cp)
{
    UChar32 c = (UChar32)cp;
    if (u_isUWhiteSpace(c)) return SC_SPACE;
    UErrorCode err = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript(c, &err);
    if (U_FAILURE(err)) return SC_OTHER;
    switch (sc) {
    case USCRIPT_HAN: return SC_HAN;
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_KATAKANA_OR_HIRAGANA: return SC_KANA;
    case USCRIPT_HANGUL: return SC_HANGUL;
    case USCRIPT_LATIN: return u_isalpha(c) ? SC_LATIN : SC_OTHER;
    case USCRIPT_COMMON:
    case USCRIPT_INHERITED:
        /* The prolonged sound mark and iteration marks are Common but only
         * ever written inside kana. */
        if (u_isalpha(c) && (uscript_hasScript(c, USCRIPT_KATAKANA) ||
                             uscript_hasScript(c, USCRIPT_HIRAGANA)))
            return SC_KANA;
        return SC_OTHER;
    default: return SC_OTHER;
    }
}

bool is_opening_punct(uint32_t c)
{
    return u_charType((UChar32)c) == U_START_PUNCTUATION ||
           u_charType((UChar32)c) == U_INITIAL_PUNCTUATION;
}

bool is_closing_punct(uint32_t c)
{
    return c == '"' || c == '\'' || u_charType((UChar32)c) == U_END_PUNCTUATION ||
           u_charType((UChar32)c) == U_FINAL_PUNCTUATION;
}

static bool is_sentence_stop(uint32_t c)
{
    switch (c) {
    case '.': case '!': case '?': case ';':
    case 0x3002: case 0xFF01: case 0xFF1F: case 0xFF1B: case 0x2026: case 0xFF0E:
        return true;
    default: return false;
    }
}

bool *kana_sentences(const uint32_t *cp, size_t n)
{
    bool *kana = n ? malloc(n * sizeof *kana) : NULL;
    if (!kana) return NULL;
    for (size_t lo = 0; lo < n;) {
        size_t hi = lo;
        bool has = false;
        while (hi < n && !is_sentence_stop(cp[hi])) has |= script_of(cp[hi++]) == SC_KANA;
        if (hi < n) hi++; /* the stop belongs to its sentence */
        for (size_t i = lo; i < hi; i++) kana[i] = has;
        lo = hi;
    }
    return kana;
}

text_lang lang_of_script(text_script sc, text_lang han_lang)
{
    switch (sc) {
    case SC_HAN: return han_lang == LANG_UNKNOWN ? LANG_ZH : han_lang;
    case SC_KANA: return LANG_JA;
    case SC_HANGUL: return LANG_KO;
    case SC_LATIN: return LANG_EN;
    default: return LANG_UNKNOWN;
    }
}

text_lang lang_guess(const uint32_t *cp, size_t n)
{
    size_t count[LANG_COUNT] = {0};
    for (size_t i = 0; i < n; i++) count[lang_of_script(script_of(cp[i]), LANG_ZH)]++;
    if (count[LANG_JA] > 0) count[LANG_JA] += count[LANG_ZH]; /* kanji with kana */
    text_lang best = LANG_UNKNOWN;
    for (int l = LANG_ZH; l < LANG_COUNT; l++)
        if (count[l] > count[best]) best = (text_lang)l;
    return best;
}

size_t lang_split_runs(const uint32_t *cp, size_t lo, size_t hi, text_lang han_lang,
                       text_lang fallback, lang_run *runs)
{
    size_t nr = 0;
    size_t start = lo;       /* start of the current run */
    size_t after_last = lo;  /* just after the current run's last letter */
    text_lang cur = LANG_UNKNOWN;
    for (size_t i = lo; i < hi; i++) {
        text_script sc = script_of(cp[i]);
        if (!script_is_letter(sc)) continue;
        text_lang l = lang_of_script(sc, han_lang);
        if (cur == LANG_UNKNOWN) {
            cur = l;
        } else if (l != cur) {
            /* Cut in the gap of non-letters: before its first opening
             * bracket, else after its last blank, else right here. */
            size_t cut = i;
            for (size_t k = after_last; k < i; k++)
                if (is_opening_punct(cp[k])) { cut = k; break; }
            if (cut == i)
                for (size_t k = i; k > after_last; k--)
                    if (script_of(cp[k - 1]) == SC_SPACE) { cut = k; break; }
            runs[nr++] = (lang_run){start, cut, cur};
            start = cut;
            cur = l;
        }
        after_last = i + 1;
    }
    runs[nr++] = (lang_run){start, hi, cur == LANG_UNKNOWN ? fallback : cur};
    return nr;
}
