/* Script classes of code points (from ICU's Script property) and the
 * per-run language detection built on them. */
#ifndef CV_TEXT_SCRIPT_H
#define CV_TEXT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text/frontend.h"

typedef enum text_script {
    SC_OTHER = 0, /* punctuation, symbols, digits: no language of their own */
    SC_SPACE,
    SC_HAN,
    SC_KANA,
    SC_HANGUL,
    SC_LATIN,
} text_script;

text_script script_of(uint32_t cp);
static inline bool script_is_letter(text_script s) { return s >= SC_HAN; }
static inline bool script_is_cjk(text_script s) { return s >= SC_HAN && s <= SC_HANGUL; }
static inline bool is_ascii_digit(uint32_t c) { return c >= '0' && c <= '9'; }
static inline bool is_ascii_alpha(uint32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
/* Opening brackets and quotes: they belong to the text that follows. */
bool is_opening_punct(uint32_t cp);
/* Closing brackets and quotes: they belong to the text that precedes. */
bool is_closing_punct(uint32_t cp);

/* For every position of cp[0..n), whether its sentence (bounded by sentence
 * punctuation) contains kana: Han there is read as Japanese. Returns a
 * malloc'ed array (NULL on allocation failure, or if n is 0). */
bool *kana_sentences(const uint32_t *cp, size_t n);

/* Language of a letter of script sc: Han is zh, or han_lang (LANG_YUE under
 * a Cantonese tag or default; LANG_JA in a kana sentence). */
text_lang lang_of_script(text_script sc, text_lang han_lang);

/* The language most of the letters of cp[0..n) belong to; LANG_UNKNOWN if
 * there are no letters. */
text_lang lang_guess(const uint32_t *cp, size_t n);

typedef struct lang_run {
    size_t lo, hi;
    text_lang lang;
} lang_run;

/* Splits cp[lo..hi) where the script changes; digits, punctuation and
 * blanks attach to a neighbouring run (opening brackets and blanks to the
 * next one, the rest to the previous one). runs must hold hi-lo+1 entries.
 * A range without letters is one run of language `fallback`. Returns the
 * number of runs. */
size_t lang_split_runs(const uint32_t *cp, size_t lo, size_t hi, text_lang han_lang,
                       text_lang fallback, lang_run *runs);

#endif
