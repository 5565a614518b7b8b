/* The normalizer's scanner: finds numbers (with their currency signs,
 * percent signs, units, date and time shapes) and symbols, decides the
 * language to read them in from the letters around them, and writes the
 * words in their place. The shapes of numbers are in normalize_shapes.c. */
#include "text/normalize.h"

#include <stdlib.h>
#include <string.h>

#include "text/normalize_scan.h"
#include "text/normalize_tables.h"

size_t nz_digit_run(const tstream *s, size_t i)
{
    size_t k = i;
    while (dig(s, k)) k++;
    return k - i;
}

bool nz_scan_number(const tstream *s, size_t p, numtok *t)
{
    memset(t, 0, sizeof *t);
    t->lo = p;
    size_t k = p, run = nz_digit_run(s, p);
    if (run == 0 || run > MAX_DIGITS) return false;
    for (; k < p + run; k++) t->i[t->ni++] = (char)s->cp[k];
    if (run <= 3) {
        /* thousands groups: each exactly three digits */
        while (at(s, k) == ',' && nz_digit_run(s, k + 1) == 3 && t->ni + 3 <= MAX_DIGITS) {
            for (size_t g = k + 1; g < k + 4; g++) t->i[t->ni++] = (char)s->cp[g];
            k += 4;
            t->grouped = true;
        }
    }
    if (at(s, k) == '.' && dig(s, k + 1)) {
        size_t fr = nz_digit_run(s, k + 1);
        if (fr <= MAX_DIGITS) {
            for (size_t g = k + 1; g < k + 1 + fr; g++) t->f[t->nf++] = (char)s->cp[g];
            k += 1 + fr;
        }
    }
    t->hi = k;
    return true;
}

bool nz_is_plain_int(const numtok *t) { return !t->grouped && t->nf == 0; }

unsigned nz_small_value(const numtok *t)
{
    unsigned v = 0;
    for (size_t k = 0; k < t->ni && k < 9; k++) v = v * 10 + (unsigned)(t->i[k] - '0');
    return t->ni > 9 ? 1000000000u : v;
}

static bool is_sentence_bound(uint32_t c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x3002 || c == 0xFF01 || c == 0xFF1F ||
           ts_is_marker(c);
}

static text_lang letter_lang(const nz *z, size_t i)
{
    text_script sc = script_of(z->in->cp[i]);
    if (sc == SC_HAN) return z->kana[i] ? LANG_JA : LANG_ZH;
    return lang_of_script(sc, LANG_ZH);
}

/* The language to read the token at [lo, hi) in: the forced language of a
 * tag, else that of the nearest letter (the preceding one on a tie), else
 * the fallback. Cantonese is read with Chinese words. */
text_lang nz_context_lang(const nz *z, size_t lo, size_t hi)
{
    const tstream *s = z->in;
    text_lang forced = z->attrs->items[s->attr[lo]].forced;
    if (forced == LANG_YUE) return LANG_ZH;
    if (forced != LANG_UNKNOWN) return forced;
    size_t dl = 0, dr = 0;
    text_lang left = LANG_UNKNOWN, right = LANG_UNKNOWN;
    size_t rk = hi;
    /* distances count the characters in between, blanks aside (Chinese
     * text keeps no blanks, so "iPhone 15发布" is as close to both) */
    for (size_t k = lo; k > 0; k--) {
        if (script_is_letter(script_of(s->cp[k - 1]))) { left = letter_lang(z, k - 1); break; }
        if (is_sentence_bound(s->cp[k - 1]) && k < lo) break;
        if (s->cp[k - 1] != ' ') dl++;
    }
    for (; rk < s->n; rk++) {
        if (script_is_letter(script_of(s->cp[rk]))) { right = letter_lang(z, rk); break; }
        if (is_sentence_bound(s->cp[rk]) && !dig(s, rk + 1)) break;
        if (s->cp[rk] != ' ') dr++;
    }
    /* the nearer letter decides; on a tie the preceding word ("iPhone 15",
     * "Python 3"), unless a Chinese measure word or unit follows ("100元") */
    bool measure = right == LANG_ZH && dr == 0 &&
                   (zh_measure_word(s->cp, s->n, rk) || s->cp[rk] == 0x5143 /* 元 */);
    text_lang l = left;
    if (l == LANG_UNKNOWN || (right != LANG_UNKNOWN && (dr < dl || (dr == dl && measure))))
        l = right;
    return l == LANG_UNKNOWN ? z->fallback : l;
}

bool nz_readable(text_lang l) { return l == LANG_ZH || l == LANG_EN; }

static bool copy_raw(nz *z, size_t lo, size_t hi)
{
    for (size_t k = lo; k < hi; k++)
        if (!ts_push(z->out, z->in->cp[k], z->in->attr[k])) return false;
    return true;
}

/* Writes the words built in z->w in place of input [lo, hi); English words
 * get blanks from neighbouring Latin letters and digits. */
static bool flush(nz *z, size_t lo, size_t hi, text_lang l)
{
    if (z->w.oom) return false;
    uint16_t a = z->in->attr[lo];
    tstream *o = z->out;
    bool ok = true;
    if (l == LANG_EN && o->n > 0 && o->cp[o->n - 1] < 0x80 &&
        (is_ascii_alpha(o->cp[o->n - 1]) || is_ascii_digit(o->cp[o->n - 1])))
        ok = ts_push(o, ' ', a);
    if (ok && z->w.n > 0) ok = ts_push_str(o, z->w.s, a);
    if (ok && l == LANG_EN && hi < z->in->n && z->in->cp[hi] < 0x80 &&
        (is_ascii_alpha(z->in->cp[hi]) || is_ascii_digit(z->in->cp[hi])))
        ok = ts_push(o, ' ', a);
    z->w.n = 0;
    if (z->w.s) z->w.s[0] = '\0';
    return ok;
}

void nz_say_number(nz *z, text_lang l, bool neg, const numtok *t)
{
    if (l == LANG_ZH) zh_number(&z->w, neg, t->i, t->ni, t->f, t->nf);
    else en_number(&z->w, neg, t->i, t->ni, t->f, t->nf);
}

void nz_say_digits(nz *z, text_lang l, const char *d, size_t n)
{
    if (l == LANG_ZH) zh_digits(&z->w, d, n);
    else en_digits(&z->w, d, n);
}

void nz_say_int(nz *z, text_lang l, unsigned v)
{
    char d[16];
    size_t n = 0;
    char tmp[16];
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v > 0);
    for (size_t k = 0; k < n; k++) d[k] = tmp[n - 1 - k];
    if (l == LANG_ZH) zh_cardinal(&z->w, d, n);
    else en_cardinal(&z->w, d, n);
}
/* A number at i (after an optional sign): tries every shape, longest
 * context first; returns the end of what was read, 0 if nothing. */
static size_t number_at(nz *z, size_t i, text_lang *lang)
{
    const tstream *s = z->in;
    bool neg = false;
    size_t p = i;
    uint32_t c = s->cp[i];
    if (c == '-' || c == 0x2212) {
        uint32_t prev = i > 0 ? s->cp[i - 1] : ' ';
        if (!dig(s, i + 1) || is_ascii_digit(prev) || is_ascii_alpha(prev) || prev == '.' ||
            prev == ',')
            return 0;
        neg = true;
        p = i + 1;
    }
    numtok t;
    if (!nz_scan_number(s, p, &t)) {
        /* a digit run too long for a number: read it digit by digit */
        size_t r = nz_digit_run(s, p);
        if (r == 0) return 0;
        *lang = nz_context_lang(z, p, p + r);
        if (!nz_readable(*lang)) return 0;
        for (size_t k = p; k < p + r; k++) {
            char d = (char)s->cp[k];
            nz_say_digits(z, *lang, &d, 1);
        }
        return p + r;
    }
    size_t e;
    if (!neg) {
        if ((e = nz_match_date(z, &t, lang)) || (e = nz_match_time(z, &t, lang)) ||
            (e = nz_match_phone(z, &t, lang)))
            return e;
    }
    if ((e = nz_match_fraction_or_ratio(z, &t, neg, lang)) || (e = nz_match_range(z, &t, neg, lang)) ||
        (e = nz_match_percent(z, &t, neg, i, lang)) || (e = nz_match_unit(z, &t, neg, i, lang)))
        return e;
    if (!neg && (e = nz_match_version(z, &t, lang))) return e;
    if (!neg && (e = nz_match_ordinal_en(z, &t, lang))) return e;
    if (!neg && (e = nz_match_decade_en(z, &t, lang))) return e;

    *lang = nz_context_lang(z, i, t.hi);
    if (!nz_readable(*lang)) return 0;
    bool month = false;
    if (!neg && nz_is_plain_int(&t) && *lang == LANG_ZH && t.ni == 4 && at(s, t.hi) == 0x5E74) {
        zh_digits(&z->w, t.i, 4); /* 2024年 */
    } else if (!neg && nz_is_plain_int(&t) && ((t.ni >= 2 && t.i[0] == '0') || t.ni >= 11)) {
        nz_say_digits(z, *lang, t.i, t.ni); /* 007, phone numbers, ids */
    } else if (!neg && *lang == LANG_ZH && nz_is_plain_int(&t) && t.ni == 1 && t.i[0] == '2' &&
               zh_measure_word(s->cp, s->n, t.hi) && !(i > 0 && s->cp[i - 1] == 0x7B2C)) {
        sb_add(&z->w, "两"); /* 2个 */
    } else if (!neg && *lang == LANG_EN && nz_is_plain_int(&t) && t.ni == 4 &&
               nz_year_context_en(s, i, &month)) {
        en_year(&z->w, t.i, t.ni);
    } else if (!neg && *lang == LANG_EN && nz_is_plain_int(&t) && t.ni <= 2 &&
               nz_small_value(&t) >= 1 && nz_small_value(&t) <= 31 &&
               nz_year_context_en(s, i, &month) && month) {
        en_ordinal(&z->w, t.i, t.ni); /* November 24 */
    } else {
        nz_say_number(z, *lang, neg, &t);
    }
    return t.hi;
}

/* Is there a number (digit) on both sides of the symbol at i, blanks aside? */
static bool between_numbers(const tstream *s, size_t i)
{
    size_t l = i, r = i + 1;
    while (l > 0 && s->cp[l - 1] == ' ') l--;
    while (r < s->n && s->cp[r] == ' ') r++;
    return l > 0 && is_ascii_digit(s->cp[l - 1]) && dig(s, r);
}

static size_t symbol_at(nz *z, size_t i, text_lang *lang)
{
    const symbol_word *sw = symbol_lookup(z->in->cp[i]);
    if (!sw || (sw->between_numbers && !between_numbers(z->in, i))) return 0;
    *lang = nz_context_lang(z, i, i + 1);
    if (!nz_readable(*lang)) return 0;
    sb_add(&z->w, *lang == LANG_ZH ? sw->zh : sw->en);
    return i + 1;
}

bool text_normalize(const tstream *in, const markup_attrs *attrs, text_lang default_lang,
                    tstream *out)
{
    if (in->n == 0) return true;
    bool *kana = kana_sentences(in->cp, in->n);
    if (!kana) return false;
    nz z = {in, attrs, LANG_ZH, out, {0}, kana};
    text_lang guess = default_lang != LANG_UNKNOWN ? default_lang : lang_guess(in->cp, in->n);
    if (guess == LANG_EN) z.fallback = LANG_EN;
    bool ok = true;
    for (size_t i = 0; ok && i < in->n;) {
        uint32_t c = in->cp[i];
        size_t e = 0;
        text_lang l = LANG_UNKNOWN;
        if (is_ascii_digit(c) || c == '-' || c == 0x2212) e = number_at(&z, i, &l);
        else if (currency_lookup(c)) e = nz_match_currency(&z, i, &l);
        if (e == 0 && c == '+') e = nz_match_intl_phone(&z, i, &l);
        if (e == 0 && !is_ascii_digit(c)) e = symbol_at(&z, i, &l);
        if (e > i) {
            ok = flush(&z, i, e, l);
            i = e;
        } else {
            z.w.n = 0;
            ok = copy_raw(&z, i, i + 1);
            i++;
        }
    }
    if (z.w.oom) ok = false;
    sb_free(&z.w);
    free(kana);
    return ok;
}
