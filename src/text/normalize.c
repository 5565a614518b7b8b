/* The normalizer's scanner: finds numbers (with their currency signs,
 * percent signs, units, date and time shapes) and symbols, decides the
 * language to read them in from the letters around them, and writes the
 * words in their place. */
#include "text/normalize.h"

#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "text/normalize_tables.h"
#include "text/normalize_words.h"
#include "text/script.h"

#define MAX_DIGITS 64

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

static bool dig(const tstream *s, size_t i) { return i < s->n && is_ascii_digit(s->cp[i]); }
static uint32_t at(const tstream *s, size_t i) { return i < s->n ? s->cp[i] : 0; }

static size_t digit_run(const tstream *s, size_t i)
{
    size_t k = i;
    while (dig(s, k)) k++;
    return k - i;
}

/* Reads a number at p: digits, or 1-3 digits then ",ddd" groups, then
 * optionally ".digits". False if p holds no digit or too many. */
static bool scan_number(const tstream *s, size_t p, numtok *t)
{
    memset(t, 0, sizeof *t);
    t->lo = p;
    size_t k = p, run = digit_run(s, p);
    if (run == 0 || run > MAX_DIGITS) return false;
    for (; k < p + run; k++) t->i[t->ni++] = (char)s->cp[k];
    if (run <= 3) {
        /* thousands groups: each exactly three digits */
        while (at(s, k) == ',' && digit_run(s, k + 1) == 3 && t->ni + 3 <= MAX_DIGITS) {
            for (size_t g = k + 1; g < k + 4; g++) t->i[t->ni++] = (char)s->cp[g];
            k += 4;
            t->grouped = true;
        }
    }
    if (at(s, k) == '.' && dig(s, k + 1)) {
        size_t fr = digit_run(s, k + 1);
        if (fr <= MAX_DIGITS) {
            for (size_t g = k + 1; g < k + 1 + fr; g++) t->f[t->nf++] = (char)s->cp[g];
            k += 1 + fr;
        }
    }
    t->hi = k;
    return true;
}

static bool is_plain_int(const numtok *t) { return !t->grouped && t->nf == 0; }

static unsigned small_value(const numtok *t)
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
static text_lang context_lang(const nz *z, size_t lo, size_t hi)
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

static bool readable(text_lang l) { return l == LANG_ZH || l == LANG_EN; }

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

static void say_number(nz *z, text_lang l, bool neg, const numtok *t)
{
    if (l == LANG_ZH) zh_number(&z->w, neg, t->i, t->ni, t->f, t->nf);
    else en_number(&z->w, neg, t->i, t->ni, t->f, t->nf);
}

static void say_digits(nz *z, text_lang l, const char *d, size_t n)
{
    if (l == LANG_ZH) zh_digits(&z->w, d, n);
    else en_digits(&z->w, d, n);
}

static void say_int(nz *z, text_lang l, unsigned v)
{
    char d[16];
    size_t n = 0;
    char tmp[16];
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v > 0);
    for (size_t k = 0; k < n; k++) d[k] = tmp[n - 1 - k];
    if (l == LANG_ZH) zh_cardinal(&z->w, d, n);
    else en_cardinal(&z->w, d, n);
}

/* ---- dates and times ------------------------------------------------ */

/* The date ending at input position end; in Chinese, 日 is not repeated
 * when the text writes it ("2024.11.24日"). */
static void say_date(nz *z, text_lang l, const char *year, unsigned month, unsigned day,
                     size_t end)
{
    if (l == LANG_ZH) {
        zh_digits(&z->w, year, 4);
        sb_add(&z->w, "年");
        say_int(z, l, month);
        sb_add(&z->w, "月");
        say_int(z, l, day);
        uint32_t next = at(z->in, end);
        if (next != 0x65E5 && next != 0x53F7) sb_add(&z->w, "日"); /* 日 号 */
    } else {
        char d[4];
        size_t n = (size_t)snprintf(d, sizeof d, "%u", day);
        sb_add(&z->w, en_month((int)month));
        sb_add(&z->w, " ");
        en_ordinal(&z->w, d, n);
        sb_add(&z->w, ", ");
        en_year(&z->w, year, 4);
    }
}

/* 2024-11-24, 2024/11/24, 2024.11.24; 11/24/2024 and 24/11/2024. */
static size_t match_date(nz *z, const numtok *t, text_lang *lang)
{
    const tstream *s = z->in;
    if (!is_plain_int(t)) {
        /* "2024.11" was taken as a decimal: look again as digits */
        if (t->grouped || t->ni != 4) return 0;
    }
    numtok a, b;
    if (t->ni == 4) { /* year first */
        uint32_t sep = at(s, t->lo + 4);
        if (sep != '-' && sep != '/' && sep != '.') return 0;
        size_t p = t->lo + 5, r1 = digit_run(s, p);
        if (r1 < 1 || r1 > 2 || at(s, p + r1) != sep) return 0;
        size_t q = p + r1 + 1, r2 = digit_run(s, q);
        if (r2 < 1 || r2 > 2) return 0;
        scan_number(s, p, &a);
        scan_number(s, q, &b); /* "24" (a ".5" after it would be a decimal: ints only) */
        if (b.nf > 0) return 0;
        unsigned m = small_value(&a), d = small_value(&b);
        if (m < 1 || m > 12 || d < 1 || d > 31) return 0;
        *lang = context_lang(z, t->lo, q + r2);
        if (!readable(*lang)) return 0;
        say_date(z, *lang, t->i, m, d, q + r2);
        return q + r2;
    }
    if (!is_plain_int(t) || t->ni > 2 || at(s, t->hi) != '/') return 0;
    size_t p = t->hi + 1, r1 = digit_run(s, p);
    if (r1 < 1 || r1 > 2 || at(s, p + r1) != '/') return 0;
    size_t q = p + r1 + 1;
    if (digit_run(s, q) != 4) return 0;
    scan_number(s, p, &a);
    unsigned x = small_value(t), y = small_value(&a), m = x, d = y;
    if (x > 12) { m = y; d = x; } /* day first */
    if (m < 1 || m > 12 || d < 1 || d > 31) return 0;
    char year[5];
    for (int k = 0; k < 4; k++) year[k] = (char)s->cp[q + (size_t)k];
    year[4] = '\0';
    *lang = context_lang(z, t->lo, q + 4);
    if (!readable(*lang)) return 0;
    say_date(z, *lang, year, m, d, q + 4);
    return q + 4;
}

/* AM/PM after a time: "PM", "pm", "p.m."; returns its end or 0, and sets *pm. */
static size_t match_ampm(const tstream *s, size_t k, bool *pm)
{
    if (at(s, k) == ' ') k++;
    uint32_t c = at(s, k) | 0x20;
    if (c != 'a' && c != 'p') return 0;
    *pm = c == 'p';
    size_t e;
    if ((at(s, k + 1) | 0x20) == 'm') e = k + 2;
    else if (at(s, k + 1) == '.' && (at(s, k + 2) | 0x20) == 'm' && at(s, k + 3) == '.') e = k + 4;
    else return 0;
    if (is_ascii_alpha(at(s, e)) || is_ascii_digit(at(s, e))) return 0;
    return e;
}

/* H:MM or H:MM:SS, optionally followed by AM/PM. */
static size_t match_time(nz *z, const numtok *t, text_lang *lang)
{
    const tstream *s = z->in;
    if (!is_plain_int(t) || t->ni > 2 || at(s, t->hi) != ':') return 0;
    unsigned h = small_value(t);
    size_t p = t->hi + 1;
    if (h > 24 || digit_run(s, p) != 2) return 0;
    unsigned m = (unsigned)((s->cp[p] - '0') * 10 + (s->cp[p + 1] - '0')), sec = 0;
    if (m > 59) return 0;
    size_t e = p + 2;
    bool has_sec = false, pm = false;
    if (at(s, e) == ':' && digit_run(s, e + 1) == 2) {
        sec = (unsigned)((s->cp[e + 1] - '0') * 10 + (s->cp[e + 2] - '0'));
        if (sec > 59) return 0;
        has_sec = true;
        e += 3;
    }
    size_t ae = match_ampm(s, e, &pm);
    *lang = context_lang(z, t->lo, ae ? ae : e); /* the letters of "PM" do not count */
    if (!readable(*lang)) return 0;
    if (*lang == LANG_ZH) {
        if (ae) sb_add(&z->w, pm ? "下午" : "上午");
        if (h == 2) sb_add(&z->w, "两");
        else say_int(z, *lang, h);
        sb_add(&z->w, "点");
        if (m > 0 || has_sec) {
            if (m < 10) sb_add(&z->w, "零");
            say_int(z, *lang, m);
            sb_add(&z->w, "分");
        }
        if (has_sec) {
            say_int(z, *lang, sec);
            sb_add(&z->w, "秒");
        }
    } else {
        say_int(z, *lang, h);
        if (m == 0) {
            if (!ae) sb_add(&z->w, " o'clock");
        } else {
            if (m < 10) sb_add(&z->w, " oh");
            say_int(z, *lang, m);
        }
        if (has_sec) {
            sb_add(&z->w, " and");
            say_int(z, *lang, sec);
            sb_add(&z->w, sec == 1 ? " second" : " seconds");
        }
        if (ae) sb_add(&z->w, pm ? " P M" : " A M");
    }
    return ae ? ae : e;
}

/* ---- other number shapes --------------------------------------------- */

/* Digit groups joined by '-' with 7 digits or more: a phone number. */
static size_t match_phone(nz *z, const numtok *t, text_lang *lang)
{
    const tstream *s = z->in;
    if (!is_plain_int(t) || at(s, t->hi) != '-' || !dig(s, t->hi + 1)) return 0;
    size_t e = t->hi, total = t->ni, groups = 1;
    while (at(s, e) == '-' && dig(s, e + 1)) {
        size_t r = digit_run(s, e + 1);
        total += r;
        groups++;
        e += 1 + r;
    }
    if (total < 7 || at(s, e) == '.' || at(s, e) == ',') return 0;
    (void)groups;
    *lang = context_lang(z, t->lo, e);
    if (!readable(*lang)) return 0;
    for (size_t k = t->lo; k < e; k++) {
        if (s->cp[k] == '-') continue;
        char d = (char)s->cp[k];
        say_digits(z, *lang, &d, 1);
    }
    return e;
}

/* "3-5", "3~5": the first number and the connector; the second number is
 * read by the next scan (so "3-5km", "10-20%" keep their unit). */
static size_t match_range(nz *z, const numtok *t, bool neg, text_lang *lang)
{
    const tstream *s = z->in;
    uint32_t c = at(s, t->hi);
    if (c != '-' && c != '~' && c != 0x2013 && c != 0x2014) return 0;
    if (!dig(s, t->hi + 1)) return 0;
    *lang = context_lang(z, t->lo, t->hi + 1);
    if (!readable(*lang)) return 0;
    /* "5-3=2" is a subtraction, not a range */
    numtok b;
    scan_number(s, t->hi + 1, &b);
    size_t k = b.hi;
    while (at(s, k) == ' ') k++;
    bool minus = c == '-' && at(s, k) == '=';
    say_number(z, *lang, neg, t);
    if (minus) sb_add(&z->w, *lang == LANG_ZH ? "减" : " minus");
    else sb_add(&z->w, *lang == LANG_ZH ? "到" : " to");
    return t->hi + 1;
}

static size_t match_fraction_or_ratio(nz *z, const numtok *t, bool neg, text_lang *lang)
{
    const tstream *s = z->in;
    uint32_t c = at(s, t->hi);
    if (!is_plain_int(t) || (c != '/' && c != ':')) return 0;
    numtok d;
    if (!scan_number(s, t->hi + 1, &d) || !is_plain_int(&d)) return 0;
    if (c == '/' && (at(s, d.hi) == '/' || (d.ni == 1 && d.i[0] == '0'))) return 0;
    *lang = context_lang(z, t->lo, d.hi);
    if (!readable(*lang)) return 0;
    if (c == ':') {
        say_number(z, *lang, neg, t);
        sb_add(&z->w, *lang == LANG_ZH ? "比" : " to");
        say_number(z, *lang, false, &d);
    } else if (*lang == LANG_ZH) {
        if (neg) sb_add(&z->w, "负");
        zh_cardinal(&z->w, d.i, d.ni);
        sb_add(&z->w, "分之");
        zh_cardinal(&z->w, t->i, t->ni);
    } else {
        if (neg) sb_add(&z->w, "minus ");
        en_fraction(&z->w, t->i, t->ni, d.i, d.ni);
    }
    return d.hi;
}

static size_t match_percent(nz *z, const numtok *t, bool neg, size_t lo, text_lang *lang)
{
    const tstream *s = z->in;
    size_t k = t->hi;
    if (at(s, k) == ' ') k++;
    uint32_t c = at(s, k);
    if (c != '%' && c != 0x2030) return 0;
    *lang = context_lang(z, lo, k + 1);
    if (!readable(*lang)) return 0;
    if (*lang == LANG_ZH) {
        if (neg) sb_add(&z->w, "负");
        sb_add(&z->w, c == '%' ? "百分之" : "千分之");
        say_number(z, *lang, false, t);
    } else {
        say_number(z, *lang, neg, t);
        sb_add(&z->w, c == '%' ? " percent" : " per mille");
    }
    return k + 1;
}

static size_t match_ordinal_en(nz *z, const numtok *t, text_lang *lang)
{
    const tstream *s = z->in;
    if (!is_plain_int(t)) return 0;
    uint32_t a = at(s, t->hi) | 0x20, b = at(s, t->hi + 1) | 0x20;
    bool suffix = (a == 's' && b == 't') || (a == 'n' && b == 'd') || (a == 'r' && b == 'd') ||
                  (a == 't' && b == 'h');
    if (!suffix || is_ascii_alpha(at(s, t->hi + 2))) return 0;
    *lang = context_lang(z, t->lo, t->hi);
    if (*lang != LANG_EN) return 0;
    en_ordinal(&z->w, t->i, t->ni);
    return t->hi + 2;
}

/* "1.2.3" (a version): each part a number, joined by "point" / 点. */
static size_t match_version(nz *z, const numtok *t, text_lang *lang)
{
    const tstream *s = z->in;
    if (t->grouped || t->nf == 0 || at(s, t->hi) != '.' || !dig(s, t->hi + 1)) return 0;
    size_t e = t->hi;
    while (at(s, e) == '.' && dig(s, e + 1)) e += 1 + digit_run(s, e + 1);
    *lang = context_lang(z, t->lo, e);
    if (!readable(*lang)) return 0;
    for (size_t k = t->lo; k < e;) {
        size_t r = digit_run(s, k);
        char d[MAX_DIGITS + 1];
        size_t n = r < MAX_DIGITS ? r : MAX_DIGITS;
        for (size_t j = 0; j < n; j++) d[j] = (char)s->cp[k + j];
        if (*lang == LANG_ZH) zh_cardinal(&z->w, d, n);
        else en_cardinal(&z->w, d, n);
        k += r;
        if (k < e) {
            sb_add(&z->w, *lang == LANG_ZH ? "点" : " point");
            k++;
        }
    }
    return e;
}

/* "1990s" -> "nineteen nineties", "80s" -> "eighties" */
static size_t match_decade_en(nz *z, const numtok *t, text_lang *lang)
{
    const tstream *s = z->in;
    if (!is_plain_int(t) || (t->ni != 2 && t->ni != 4) || t->i[t->ni - 1] != '0' ||
        at(s, t->hi) != 's' || is_ascii_alpha(at(s, t->hi + 1)))
        return 0;
    *lang = context_lang(z, t->lo, t->hi);
    if (*lang != LANG_EN) return 0;
    if (t->ni == 4) en_year(&z->w, t->i, 4);
    else en_cardinal(&z->w, t->i, 2);
    if (z->w.oom || z->w.n == 0) return 0;
    if (z->w.s[z->w.n - 1] == 'y') {
        z->w.n--;
        sb_add(&z->w, "ies");
    } else {
        sb_add(&z->w, "s");
    }
    return t->hi + 1;
}

/* "+86 138 0013 8000": an international phone number, digit by digit. */
static size_t match_intl_phone(nz *z, size_t i, text_lang *lang)
{
    const tstream *s = z->in;
    if (s->cp[i] != '+' || !dig(s, i + 1) || (i > 0 && (is_ascii_digit(s->cp[i - 1]) ||
                                                         is_ascii_alpha(s->cp[i - 1]))))
        return 0;
    size_t e = i + 1, total = 0;
    for (;;) {
        size_t r = digit_run(s, e);
        total += r;
        e += r;
        if ((at(s, e) == ' ' || at(s, e) == '-') && dig(s, e + 1)) e++;
        else break;
    }
    if (total < 7) return 0;
    *lang = context_lang(z, i, e);
    if (!readable(*lang)) return 0;
    sb_add(&z->w, *lang == LANG_ZH ? "加" : "plus");
    for (size_t k = i + 1; k < e; k++) {
        if (!is_ascii_digit(s->cp[k])) continue;
        char d = (char)s->cp[k];
        say_digits(z, *lang, &d, 1);
    }
    return e;
}

static size_t match_unit(nz *z, const numtok *t, bool neg, size_t lo, text_lang *lang)
{
    const tstream *s = z->in;
    size_t k = t->hi, len;
    bool blank = at(s, k) == ' ';
    if (blank) k++;
    const unit_word *u = unit_match(s->cp, s->n, k, &len);
    if (!u) return 0;
    if (blank && len == 1 && is_ascii_alpha(s->cp[k])) return 0; /* "5 m" may be prose */
    *lang = context_lang(z, lo, k + len); /* the unit's letters do not count */
    if (!readable(*lang)) return 0;
    say_number(z, *lang, neg, t);
    if (*lang == LANG_ZH) {
        if (u->zh) {
            sb_add(&z->w, u->zh);
        } else { /* keep the symbol: it is read as letters */
            for (size_t j = k; j < k + len; j++) {
                char c = (char)s->cp[j];
                sb_addn(&z->w, &c, 1);
            }
        }
    } else {
        bool one = !neg && t->nf == 0 && t->ni == 1 && t->i[0] == '1';
        sb_add(&z->w, " ");
        sb_add(&z->w, one ? u->en_one : u->en_many);
    }
    return k + len;
}

/* " million" (or thousand, billion, trillion) at cp[p]: the word, and the
 * length to skip in *len. */
static const char *scale_word_en(const tstream *s, size_t p, size_t *len)
{
    static const char *const scales[] = {"thousand", "million", "billion", "trillion"};
    if (at(s, p) != ' ') return NULL;
    for (size_t k = 0; k < sizeof scales / sizeof scales[0]; k++) {
        size_t n = strlen(scales[k]), j = 0;
        while (j < n && at(s, p + 1 + j) == (uint32_t)scales[k][j]) j++;
        if (j == n && !is_ascii_alpha(at(s, p + 1 + n))) {
            *len = n + 1;
            return scales[k];
        }
    }
    return NULL;
}

/* "$1,234.56", "¥100", "€5", "$5 million" */
static size_t match_currency(nz *z, size_t i, text_lang *lang)
{
    const tstream *s = z->in;
    const currency_word *c = currency_lookup(s->cp[i]);
    if (!c) return 0;
    size_t p = i + 1;
    if (at(s, p) == ' ') p++;
    numtok t;
    if (!scan_number(s, p, &t)) return 0;
    *lang = context_lang(z, i, t.hi);
    if (!readable(*lang)) return 0;
    if (*lang == LANG_ZH) {
        say_number(z, *lang, false, &t);
        size_t e = t.hi;
        /* "$5亿": the scale goes before the currency word */
        while (at(s, e) == 0x4E07 || at(s, e) == 0x4EBF || at(s, e) == 0x5343) {
            char u[4];
            int k = utf8_encode(s->cp[e++], u);
            sb_addn(&z->w, u, (size_t)k);
        }
        sb_add(&z->w, c->zh);
        return e;
    }
    size_t scale_len;
    const char *scale = scale_word_en(s, t.hi, &scale_len);
    if (scale) { /* "$5 million" -> "five million dollars" */
        say_number(z, *lang, false, &t);
        sb_add(&z->w, " ");
        sb_add(&z->w, scale);
        sb_add(&z->w, " ");
        sb_add(&z->w, c->en_many);
        return t.hi + scale_len;
    }
    bool one = t.ni == 1 && t.i[0] == '1';
    bool zero = t.ni == 1 && t.i[0] == '0';
    if (t.nf == 0 || (t.nf <= 2 && c->sub_one)) {
        char sub[3] = {t.nf > 0 ? t.f[0] : '0', t.nf > 1 ? t.f[1] : '0', '\0'};
        bool has_sub = t.nf > 0 && strcmp(sub, "00") != 0;
        if (!zero || !has_sub) {
            en_cardinal(&z->w, t.i, t.ni);
            sb_add(&z->w, " ");
            sb_add(&z->w, one ? c->en_one : c->en_many);
        }
        if (has_sub) {
            if (!zero) sb_add(&z->w, " and ");
            en_cardinal(&z->w, sub, 2);
            sb_add(&z->w, " ");
            sb_add(&z->w, strcmp(sub, "01") == 0 ? c->sub_one : c->sub_many);
        }
    } else {
        say_number(z, *lang, false, &t);
        sb_add(&z->w, " ");
        sb_add(&z->w, c->en_many);
    }
    return t.hi;
}

/* True if the English word before position p (skipping a day number and
 * ", ") is a month name or a word that introduces a year. */
static bool year_context_en(const tstream *s, size_t p, bool *after_month)
{
    static const char *const words[] = {
        "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun",
        "jul", "aug", "sep", "sept", "oct", "nov", "dec", "in", "since", "year", "until"};
    size_t k = p;
    while (k > 0 && (s->cp[k - 1] == ' ' || s->cp[k - 1] == ',')) k--;
    size_t e = k;
    while (k > 0 && is_ascii_alpha(s->cp[k - 1])) k--;
    char w[12];
    if (e == k) {
        /* "November 24, 2024": a day number before the year */
        while (k > 0 && is_ascii_digit(s->cp[k - 1])) k--;
        if (k == e || e - k > 2) return false;
        return year_context_en(s, k, after_month) && *after_month;
    }
    if (e - k >= sizeof w) return false;
    for (size_t j = k; j < e; j++) w[j - k] = (char)(s->cp[j] | 0x20);
    w[e - k] = '\0';
    for (size_t j = 0; j < sizeof words / sizeof words[0]; j++) {
        if (strcmp(w, words[j]) == 0) {
            *after_month = j < 24;
            return true;
        }
    }
    return false;
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
    if (!scan_number(s, p, &t)) {
        /* a digit run too long for a number: read it digit by digit */
        size_t r = digit_run(s, p);
        if (r == 0) return 0;
        *lang = context_lang(z, p, p + r);
        if (!readable(*lang)) return 0;
        for (size_t k = p; k < p + r; k++) {
            char d = (char)s->cp[k];
            say_digits(z, *lang, &d, 1);
        }
        return p + r;
    }
    size_t e;
    if (!neg) {
        if ((e = match_date(z, &t, lang)) || (e = match_time(z, &t, lang)) ||
            (e = match_phone(z, &t, lang)))
            return e;
    }
    if ((e = match_fraction_or_ratio(z, &t, neg, lang)) || (e = match_range(z, &t, neg, lang)) ||
        (e = match_percent(z, &t, neg, i, lang)) || (e = match_unit(z, &t, neg, i, lang)))
        return e;
    if (!neg && (e = match_version(z, &t, lang))) return e;
    if (!neg && (e = match_ordinal_en(z, &t, lang))) return e;
    if (!neg && (e = match_decade_en(z, &t, lang))) return e;

    *lang = context_lang(z, i, t.hi);
    if (!readable(*lang)) return 0;
    bool month = false;
    if (!neg && is_plain_int(&t) && *lang == LANG_ZH && t.ni == 4 && at(s, t.hi) == 0x5E74) {
        zh_digits(&z->w, t.i, 4); /* 2024年 */
    } else if (!neg && is_plain_int(&t) && ((t.ni >= 2 && t.i[0] == '0') || t.ni >= 11)) {
        say_digits(z, *lang, t.i, t.ni); /* 007, phone numbers, ids */
    } else if (!neg && *lang == LANG_ZH && is_plain_int(&t) && t.ni == 1 && t.i[0] == '2' &&
               zh_measure_word(s->cp, s->n, t.hi) && !(i > 0 && s->cp[i - 1] == 0x7B2C)) {
        sb_add(&z->w, "两"); /* 2个 */
    } else if (!neg && *lang == LANG_EN && is_plain_int(&t) && t.ni == 4 &&
               year_context_en(s, i, &month)) {
        en_year(&z->w, t.i, t.ni);
    } else if (!neg && *lang == LANG_EN && is_plain_int(&t) && t.ni <= 2 &&
               small_value(&t) >= 1 && small_value(&t) <= 31 &&
               year_context_en(s, i, &month) && month) {
        en_ordinal(&z->w, t.i, t.ni); /* November 24 */
    } else {
        say_number(z, *lang, neg, &t);
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
    *lang = context_lang(z, i, i + 1);
    if (!readable(*lang)) return 0;
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
        else if (currency_lookup(c)) e = match_currency(&z, i, &l);
        if (e == 0 && c == '+') e = match_intl_phone(&z, i, &l);
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
