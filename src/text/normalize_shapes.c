/* The shapes a number can take (dates, times, phone numbers, ranges,
 * fractions, percentages, ordinals, versions, units, currency amounts) and
 * their words in Chinese and English. */
#include <stdio.h>
#include <string.h>

#include "common/utf8.h"
#include "text/normalize_scan.h"
#include "text/normalize_tables.h"

/* ---- dates and times ------------------------------------------------ */

/* The date ending at input position end; in Chinese, 日 is not repeated
 * when the text writes it ("2024.11.24日"). */
static void say_date(nz *z, text_lang l, const char *year, unsigned month, unsigned day,
                     size_t end)
{
    if (l == LANG_ZH) {
        zh_digits(&z->w, year, 4);
        sb_add(&z->w, "年");
        nz_say_int(z, l, month);
        sb_add(&z->w, "月");
        nz_say_int(z, l, day);
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
size_t nz_match_date(nz *z, const numtok *t, text_lang *lang)
{
    const tstream *s = z->in;
    if (!nz_is_plain_int(t)) {
        /* "2024.11" was taken as a decimal: look again as digits */
        if (t->grouped || t->ni != 4) return 0;
    }
    numtok a, b;
    if (t->ni == 4) { /* year first */
        uint32_t sep = at(s, t->lo + 4);
        if (sep != '-' && sep != '/' && sep != '.') return 0;
        size_t p = t->lo + 5, r1 = nz_digit_run(s, p);
        if (r1 < 1 || r1 > 2 || at(s, p + r1) != sep) return 0;
        size_t q = p + r1 + 1, r2 = nz_digit_run(s, q);
        if (r2 < 1 || r2 > 2) return 0;
        nz_scan_number(s, p, &a);
        nz_scan_number(s, q, &b); /* "24" (a ".5" after it would be a decimal: ints only) */
        if (b.nf > 0) return 0;
        unsigned m = nz_small_value(&a), d = nz_small_value(&b);
        if (m < 1 || m > 12 || d < 1 || d > 31) return 0;
        *lang = nz_context_lang(z, t->lo, q + r2);
        if (!nz_readable(*lang)) return 0;
        say_date(z, *lang, t->i, m, d, q + r2);
        return q + r2;
    }
    if (!nz_is_plain_int(t) || t->ni > 2 || at(s, t->hi) != '/') return 0;
    size_t p = t->hi + 1, r1 = nz_digit_run(s, p);
    if (r1 < 1 || r1 > 2 || at(s, p + r1) != '/') return 0;
    size_t q = p + r1 + 1;
    if (nz_digit_run(s, q) != 4) return 0;
    nz_scan_number(s, p, &a);
    unsigned x = nz_small_value(t), y = nz_small_value(&a), m = x, d = y;
    if (x > 12) { m = y; d = x; } /* day first */
    if (m < 1 || m > 12 || d < 1 || d > 31) return 0;
    char year[5];
    for (int k = 0; k < 4; k++) year[k] = (char)s->cp[q + (size_t)k];
    year[4] = '\0';
    *lang = nz_context_lang(z, t->lo, q + 4);
    if (!nz_readable(*lang)) return 0;
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
size_t nz_match_time(nz *z, const numtok *t, text_lang *lang)
{
    const tstream *s = z->in;
    if (!nz_is_plain_int(t) || t->ni > 2 || at(s, t->hi) != ':') return 0;
    unsigned h = nz_small_value(t);
    size_t p = t->hi + 1;
    if (h > 24 || nz_digit_run(s, p) != 2) return 0;
    unsigned m = (unsigned)((s->cp[p] - '0') * 10 + (s->cp[p + 1] - '0')), sec = 0;
    if (m > 59) return 0;
    size_t e = p + 2;
    bool has_sec = false, pm = false;
    if (at(s, e) == ':' && nz_digit_run(s, e + 1) == 2) {
        sec = (unsigned)((s->cp[e + 1] - '0') * 10 + (s->cp[e + 2] - '0'));
        if (sec > 59) return 0;
        has_sec = true;
        e += 3;
    }
    size_t ae = match_ampm(s, e, &pm);
    *lang = nz_context_lang(z, t->lo, ae ? ae : e); /* the letters of "PM" do not count */
    if (!nz_readable(*lang)) return 0;
    if (*lang == LANG_ZH) {
        if (ae) sb_add(&z->w, pm ? "下午" : "上午");
        if (h == 2) sb_add(&z->w, "两");
        else nz_say_int(z, *lang, h);
        sb_add(&z->w, "点");
        if (m > 0 || has_sec) {
            if (m < 10) sb_add(&z->w, "零");
            nz_say_int(z, *lang, m);
            sb_add(&z->w, "分");
        }
        if (has_sec) {
            nz_say_int(z, *lang, sec);
            sb_add(&z->w, "秒");
        }
    } else {
        nz_say_int(z, *lang, h);
        if (m == 0) {
            if (!ae) sb_add(&z->w, " o'clock");
        } else {
            if (m < 10) sb_add(&z->w, " oh");
            nz_say_int(z, *lang, m);
        }
        if (has_sec) {
            sb_add(&z->w, " and");
            nz_say_int(z, *lang, sec);
            sb_add(&z->w, sec == 1 ? " second" : " seconds");
        }
        if (ae) sb_add(&z->w, pm ? " P M" : " A M");
    }
    return ae ? ae : e;
}

/* ---- other number shapes --------------------------------------------- */

/* Digit groups joined by '-' with 7 digits or more: a phone number. */
size_t nz_match_phone(nz *z, const numtok *t, text_lang *lang)
{
    const tstream *s = z->in;
    if (!nz_is_plain_int(t) || at(s, t->hi) != '-' || !dig(s, t->hi + 1)) return 0;
    size_t e = t->hi, total = t->ni, groups = 1;
    while (at(s, e) == '-' && dig(s, e + 1)) {
        size_t r = nz_digit_run(s, e + 1);
        total += r;
        groups++;
        e += 1 + r;
    }
    if (total < 7 || at(s, e) == '.' || at(s, e) == ',') return 0;
    (void)groups;
    *lang = nz_context_lang(z, t->lo, e);
    if (!nz_readable(*lang)) return 0;
    for (size_t k = t->lo; k < e; k++) {
        if (s->cp[k] == '-') continue;
        char d = (char)s->cp[k];
        nz_say_digits(z, *lang, &d, 1);
    }
    return e;
}

/* "3-5", "3~5": the first number and the connector; the second number is
 * read by the next scan (so "3-5km", "10-20%" keep their unit). */
size_t nz_match_range(nz *z, const numtok *t, bool neg, text_lang *lang)
{
    const tstream *s = z->in;
    uint32_t c = at(s, t->hi);
    if (c != '-' && c != '~' && c != 0x2013 && c != 0x2014) return 0;
    if (!dig(s, t->hi + 1)) return 0;
    *lang = nz_context_lang(z, t->lo, t->hi + 1);
    if (!nz_readable(*lang)) return 0;
    /* "5-3=2" is a subtraction, not a range */
    numtok b;
    nz_scan_number(s, t->hi + 1, &b);
    size_t k = b.hi;
    while (at(s, k) == ' ') k++;
    bool minus = c == '-' && at(s, k) == '=';
    nz_say_number(z, *lang, neg, t);
    if (minus) sb_add(&z->w, *lang == LANG_ZH ? "减" : " minus");
    else sb_add(&z->w, *lang == LANG_ZH ? "到" : " to");
    return t->hi + 1;
}

size_t nz_match_fraction_or_ratio(nz *z, const numtok *t, bool neg, text_lang *lang)
{
    const tstream *s = z->in;
    uint32_t c = at(s, t->hi);
    if (!nz_is_plain_int(t) || (c != '/' && c != ':')) return 0;
    numtok d;
    if (!nz_scan_number(s, t->hi + 1, &d) || !nz_is_plain_int(&d)) return 0;
    if (c == '/' && (at(s, d.hi) == '/' || (d.ni == 1 && d.i[0] == '0'))) return 0;
    *lang = nz_context_lang(z, t->lo, d.hi);
    if (!nz_readable(*lang)) return 0;
    if (c == ':') {
        nz_say_number(z, *lang, neg, t);
        sb_add(&z->w, *lang == LANG_ZH ? "比" : " to");
        nz_say_number(z, *lang, false, &d);
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

size_t nz_match_percent(nz *z, const numtok *t, bool neg, size_t lo, text_lang *lang)
{
    const tstream *s = z->in;
    size_t k = t->hi;
    if (at(s, k) == ' ') k++;
    uint32_t c = at(s, k);
    if (c != '%' && c != 0x2030) return 0;
    *lang = nz_context_lang(z, lo, k + 1);
    if (!nz_readable(*lang)) return 0;
    if (*lang == LANG_ZH) {
        if (neg) sb_add(&z->w, "负");
        sb_add(&z->w, c == '%' ? "百分之" : "千分之");
        nz_say_number(z, *lang, false, t);
    } else {
        nz_say_number(z, *lang, neg, t);
        sb_add(&z->w, c == '%' ? " percent" : " per mille");
    }
    return k + 1;
}

size_t nz_match_ordinal_en(nz *z, const numtok *t, text_lang *lang)
{
    const tstream *s = z->in;
    if (!nz_is_plain_int(t)) return 0;
    uint32_t a = at(s, t->hi) | 0x20, b = at(s, t->hi + 1) | 0x20;
    bool suffix = (a == 's' && b == 't') || (a == 'n' && b == 'd') || (a == 'r' && b == 'd') ||
                  (a == 't' && b == 'h');
    if (!suffix || is_ascii_alpha(at(s, t->hi + 2))) return 0;
    *lang = nz_context_lang(z, t->lo, t->hi);
    if (*lang != LANG_EN) return 0;
    en_ordinal(&z->w, t->i, t->ni);
    return t->hi + 2;
}

/* "1.2.3" (a version): each part a number, joined by "point" / 点. */
size_t nz_match_version(nz *z, const numtok *t, text_lang *lang)
{
    const tstream *s = z->in;
    if (t->grouped || t->nf == 0 || at(s, t->hi) != '.' || !dig(s, t->hi + 1)) return 0;
    size_t e = t->hi;
    while (at(s, e) == '.' && dig(s, e + 1)) e += 1 + nz_digit_run(s, e + 1);
    *lang = nz_context_lang(z, t->lo, e);
    if (!nz_readable(*lang)) return 0;
    for (size_t k = t->lo; k < e;) {
        size_t r = nz_digit_run(s, k);
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
size_t nz_match_decade_en(nz *z, const numtok *t, text_lang *lang)
{
    const tstream *s = z->in;
    if (!nz_is_plain_int(t) || (t->ni != 2 && t->ni != 4) || t->i[t->ni - 1] != '0' ||
        at(s, t->hi) != 's' || is_ascii_alpha(at(s, t->hi + 1)))
        return 0;
    *lang = nz_context_lang(z, t->lo, t->hi);
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
size_t nz_match_intl_phone(nz *z, size_t i, text_lang *lang)
{
    const tstream *s = z->in;
    if (s->cp[i] != '+' || !dig(s, i + 1) || (i > 0 && (is_ascii_digit(s->cp[i - 1]) ||
                                                         is_ascii_alpha(s->cp[i - 1]))))
        return 0;
    size_t e = i + 1, total = 0;
    for (;;) {
        size_t r = nz_digit_run(s, e);
        total += r;
        e += r;
        if ((at(s, e) == ' ' || at(s, e) == '-') && dig(s, e + 1)) e++;
        else break;
    }
    if (total < 7) return 0;
    *lang = nz_context_lang(z, i, e);
    if (!nz_readable(*lang)) return 0;
    sb_add(&z->w, *lang == LANG_ZH ? "加" : "plus");
    for (size_t k = i + 1; k < e; k++) {
        if (!is_ascii_digit(s->cp[k])) continue;
        char d = (char)s->cp[k];
        nz_say_digits(z, *lang, &d, 1);
    }
    return e;
}

size_t nz_match_unit(nz *z, const numtok *t, bool neg, size_t lo, text_lang *lang)
{
    const tstream *s = z->in;
    size_t k = t->hi, len;
    bool blank = at(s, k) == ' ';
    if (blank) k++;
    const unit_word *u = unit_match(s->cp, s->n, k, &len);
    if (!u) return 0;
    if (blank && len == 1 && is_ascii_alpha(s->cp[k])) return 0; /* "5 m" may be prose */
    *lang = nz_context_lang(z, lo, k + len); /* the unit's letters do not count */
    if (!nz_readable(*lang)) return 0;
    nz_say_number(z, *lang, neg, t);
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
size_t nz_match_currency(nz *z, size_t i, text_lang *lang)
{
    const tstream *s = z->in;
    const currency_word *c = currency_lookup(s->cp[i]);
    if (!c) return 0;
    size_t p = i + 1;
    if (at(s, p) == ' ') p++;
    numtok t;
    if (!nz_scan_number(s, p, &t)) return 0;
    *lang = nz_context_lang(z, i, t.hi);
    if (!nz_readable(*lang)) return 0;
    if (*lang == LANG_ZH) {
        nz_say_number(z, *lang, false, &t);
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
        nz_say_number(z, *lang, false, &t);
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
        nz_say_number(z, *lang, false, &t);
        sb_add(&z->w, " ");
        sb_add(&z->w, c->en_many);
    }
    return t.hi;
}

/* True if the English word before position p (skipping a day number and
 * ", ") is a month name or a word that introduces a year. */
bool nz_year_context_en(const tstream *s, size_t p, bool *after_month)
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
        return nz_year_context_en(s, k, after_month) && *after_month;
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
