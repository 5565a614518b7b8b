/* Internal to the normalizer: the scanner's state and number token, shared
 * by the scanner (normalize.c) and the number shapes it recognises
 * (normalize_shapes.c). */
#ifndef CV_TEXT_NORMALIZE_SCAN_H
#define CV_TEXT_NORMALIZE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text/markup.h"
#include "text/normalize_words.h"
#include "text/script.h"
#include "text/tstream.h"

#define MAX_DIGITS 64 /* longer digit runs are read digit by digit */

typedef struct numtok {
    size_t lo, hi;           /* code points of the digits (with commas, point) */
    char i[MAX_DIGITS + 1];  /* integer digits, commas removed */
    size_t ni;
    char f[MAX_DIGITS + 1];  /* fraction digits */
    size_t nf;
    bool grouped;            /* written with thousands separators */
} numtok;

typedef struct nz {
    const tstream *in;
    const markup_attrs *attrs;
    text_lang fallback; /* LANG_ZH or LANG_EN */
    tstream *out;
    sbuf w;             /* the words being built for the current token */
    const bool *kana;   /* per input position: its sentence has kana */
} nz;


static inline bool dig(const tstream *s, size_t i) { return i < s->n && is_ascii_digit(s->cp[i]); }
static inline uint32_t at(const tstream *s, size_t i) { return i < s->n ? s->cp[i] : 0; }

/* ---- normalize.c ---- */
size_t nz_digit_run(const tstream *s, size_t i);
/* Reads a number at p: digits, or 1-3 digits then ",ddd" groups, then
 * optionally ".digits". False if p holds no digit or too many. */
bool nz_scan_number(const tstream *s, size_t p, numtok *t);
bool nz_is_plain_int(const numtok *t);
unsigned nz_small_value(const numtok *t); /* up to 9 digits, else 10^9 */
/* The language to read input [lo, hi) in (see normalize.c). */
text_lang nz_context_lang(const nz *z, size_t lo, size_t hi);
bool nz_readable(text_lang l); /* Chinese or English: words are written */
/* Words appended to z->w */
void nz_say_number(nz *z, text_lang l, bool neg, const numtok *t);
void nz_say_digits(nz *z, text_lang l, const char *d, size_t n);
void nz_say_int(nz *z, text_lang l, unsigned v);

/* ---- normalize_shapes.c ----
 * Each tries one shape of number at token t (or input position i): on a
 * match it writes the words to z->w, sets *lang and returns the input
 * position after what it read; else it returns 0 and writes nothing. */
size_t nz_match_date(nz *z, const numtok *t, text_lang *lang);
size_t nz_match_time(nz *z, const numtok *t, text_lang *lang);
size_t nz_match_phone(nz *z, const numtok *t, text_lang *lang);
size_t nz_match_intl_phone(nz *z, size_t i, text_lang *lang);
size_t nz_match_range(nz *z, const numtok *t, bool neg, text_lang *lang);
size_t nz_match_fraction_or_ratio(nz *z, const numtok *t, bool neg, text_lang *lang);
size_t nz_match_percent(nz *z, const numtok *t, bool neg, size_t lo, text_lang *lang);
size_t nz_match_ordinal_en(nz *z, const numtok *t, text_lang *lang);
size_t nz_match_version(nz *z, const numtok *t, text_lang *lang);
size_t nz_match_decade_en(nz *z, const numtok *t, text_lang *lang);
size_t nz_match_unit(nz *z, const numtok *t, bool neg, size_t lo, text_lang *lang);
size_t nz_match_currency(nz *z, size_t i, text_lang *lang);
/* True if the English word before p (a day number and ", " aside) is a
 * month name (*after_month) or a word introducing a year ("in", "since"). */
bool nz_year_context_en(const tstream *s, size_t p, bool *after_month);

#endif
