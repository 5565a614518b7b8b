/* The text front end shared by every engine: CosyVoice markup handling,
 * normalization (numbers, dates, symbols... spoken as words), sentence
 * segmentation and per-segment language detection.
 *
 * text_frontend_run() turns the caller's text into an ordered list of
 * segments, each sentence-sized (or smaller, split further at commas when
 * long) and in one language, ready to be synthesized and streamed one by
 * one. */
#ifndef CV_TEXT_FRONTEND_H
#define CV_TEXT_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/status.h"

typedef enum text_lang {
    LANG_UNKNOWN = 0,
    LANG_ZH, /* Mandarin */
    LANG_EN,
    LANG_JA,
    LANG_KO,
    LANG_YUE, /* Cantonese: only via an explicit <|yue|> tag or a speaker default */
    LANG_COUNT
} text_lang;

const char *text_lang_name(text_lang l); /* "zh", "en", ... */

typedef enum text_event {
    TEXT_EVENT_NONE = 0,
    TEXT_EVENT_LAUGHTER, /* [laughter] */
    TEXT_EVENT_BREATH,   /* [breath] */
    TEXT_EVENT_OTHER,    /* any other bracketed event: a short pause */
} text_event;

typedef struct text_segment {
    char *text;         /* normalized, markup removed; never empty unless event set */
    text_lang lang;     /* detected from script, or from an explicit tag */
    bool emphasis;      /* inside <strong>...</strong> */
    bool laughing;      /* inside <laughter>...</laughter> */
    text_event event;   /* an event that precedes text (text may be "") */
    bool sentence_end;  /* ends a sentence (a longer pause follows) */
} text_segment;

typedef struct text_segments {
    text_segment *items;
    size_t count;
} text_segments;

typedef struct text_frontend_options {
    /* Language for text whose script does not tell (digits only, Han text
     * under a Cantonese speaker...). LANG_UNKNOWN: guess from the text. */
    text_lang default_lang;
    /* Segments are cut at sentence punctuation, and further at commas when
     * longer than this many characters (0: a default of 30). Counted in
     * CJK characters: Latin and other characters count half, so the default
     * is 30 Han or 60 Latin characters. Without a comma, a piece is cut at
     * a blank past twice the limit, and anywhere outside a word past four
     * times the limit. Whatever the limit, a run of more than 64 Latin
     * letters, digits or Hangul (SEGMENT_MAX_WORD) is cut into pieces of
     * 64, so no back end gets one unbounded word. */
    size_t max_segment_chars;
} text_frontend_options;

cv_status text_frontend_run(const char *text, const text_frontend_options *opt,
                            text_segments *out);
void text_segments_free(text_segments *s);

/* Does the text hold a letter or digit (ICU's u_isalnum)? Punctuation,
 * symbols and emoji alone are nothing to speak; engines refuse a text
 * whose segments have none (and no event) with TEXT_NOTHING_TO_SPEAK. */
bool text_has_alnum(const char *utf8);
#define TEXT_NOTHING_TO_SPEAK \
    "tts_text has nothing to speak: only punctuation, symbols, emoji or markup"

/* The normalized text alone: markup removed (events dropped), blanks and
 * widths cleaned, numbers and symbols as words, no segmentation. *out is
 * malloc'ed (free it). Same errors as text_frontend_run(). */
cv_status text_frontend_normalize(const char *text, const text_frontend_options *opt,
                                  char **out);

/* Writes one line per segment: language, flags (end, emph, laugh,
 * event=...) and the text between bars. Returns the number of lines. */
int text_segments_print(FILE *f, const text_segments *s);
const char *text_event_name(text_event e); /* "none", "laughter", ... */

#endif
