/* English number words. */
#include "text/normalize_words.h"

#include <stdint.h>
#include <string.h>

static const char *const ONES[20] = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen"};
static const char *const TENS[10] = {"", "", "twenty", "thirty", "forty",
                                     "fifty", "sixty", "seventy", "eighty", "ninety"};

static void sep(sbuf *b)
{
    if (b->n > 0 && b->s[b->n - 1] != ' ' && b->s[b->n - 1] != '-') sb_add(b, " ");
}

static void en_under_100(sbuf *b, unsigned v)
{
    sep(b);
    if (v < 20) {
        sb_add(b, ONES[v]);
        return;
    }
    sb_add(b, TENS[v / 10]);
    if (v % 10) {
        sb_add(b, "-");
        sb_add(b, ONES[v % 10]);
    }
}

static void en_under_1000(sbuf *b, unsigned v)
{
    if (v >= 100) {
        sep(b);
        sb_add(b, ONES[v / 100]);
        sb_add(b, " hundred");
    }
    if (v % 100) en_under_100(b, v % 100);
}

void en_digits(sbuf *b, const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sep(b);
        sb_add(b, ONES[d[i] - '0']);
    }
}

void en_cardinal(sbuf *b, const char *d, size_t n)
{
    static const char *const SCALE[7] = {"", " thousand", " million", " billion",
                                         " trillion", " quadrillion", " quintillion"};
    while (n > 1 && d[0] == '0') { d++; n--; }
    if (n > 18) { en_digits(b, d, n); return; }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (uint64_t)(d[i] - '0');
    if (v == 0) { sep(b); sb_add(b, "zero"); return; }
    unsigned groups[7];
    int ng = 0;
    while (v > 0) { groups[ng++] = (unsigned)(v % 1000); v /= 1000; }
    for (int g = ng - 1; g >= 0; g--) {
        if (groups[g] == 0) continue;
        en_under_1000(b, groups[g]);
        sb_add(b, SCALE[g]);
    }
}

/* Rewrites the last word of b (a cardinal) as an ordinal. */
static void ordinalize(sbuf *b)
{
    static const struct { const char *card, *ord; } irregular[] = {
        {"one", "first"}, {"two", "second"}, {"three", "third"}, {"five", "fifth"},
        {"eight", "eighth"}, {"nine", "ninth"}, {"twelve", "twelfth"}};
    if (b->oom || b->n == 0) return;
    size_t w = b->n;
    while (w > 0 && b->s[w - 1] != ' ' && b->s[w - 1] != '-') w--;
    const char *word = b->s + w;
    for (size_t k = 0; k < sizeof irregular / sizeof irregular[0]; k++) {
        if (strcmp(word, irregular[k].card) == 0) {
            b->n = w;
            sb_add(b, irregular[k].ord);
            return;
        }
    }
    if (b->s[b->n - 1] == 'y') { /* twenty -> twentieth */
        b->n--;
        sb_add(b, "ieth");
    } else {
        sb_add(b, "th");
    }
}

void en_ordinal(sbuf *b, const char *d, size_t n)
{
    en_cardinal(b, d, n);
    ordinalize(b);
}

void en_number(sbuf *b, bool neg, const char *i, size_t ni, const char *f, size_t nf)
{
    if (neg) { sep(b); sb_add(b, "minus"); }
    en_cardinal(b, i, ni);
    if (nf > 0) {
        sb_add(b, " point");
        en_digits(b, f, nf);
    }
}

void en_year(sbuf *b, const char *d, size_t n)
{
    if (n != 4 || d[0] == '0') { en_cardinal(b, d, n); return; }
    unsigned hi = (unsigned)((d[0] - '0') * 10 + (d[1] - '0'));
    unsigned lo = (unsigned)((d[2] - '0') * 10 + (d[3] - '0'));
    if ((hi % 10 == 0 && lo < 10) || (hi == 20 && lo < 10)) {
        en_cardinal(b, d, n); /* 2000, 2005, 1000, 1009: "two thousand five" */
        return;
    }
    en_under_100(b, hi);
    if (lo == 0) {
        sb_add(b, " hundred");
    } else if (lo < 10) {
        sb_add(b, " oh");
        en_under_100(b, lo);
    } else {
        en_under_100(b, lo);
    }
}

void en_fraction(sbuf *b, const char *num, size_t nn, const char *den, size_t nd)
{
    bool one = nn == 1 && num[0] == '1';
    en_cardinal(b, num, nn);
    if (nd == 1 && den[0] == '2') {
        sb_add(b, one ? " half" : " halves");
    } else if (nd == 1 && den[0] == '4') {
        sb_add(b, one ? " quarter" : " quarters");
    } else if (nd <= 2 && !(nd == 1 && den[0] <= '1')) {
        en_ordinal(b, den, nd);
        if (!one) sb_add(b, "s");
    } else {
        sb_add(b, " over");
        en_cardinal(b, den, nd);
    }
}

const char *en_month(int m)
{
    static const char *const M[12] = {"January", "February", "March", "April", "May", "June",
                                      "July", "August", "September", "October", "November",
                                      "December"};
    return m >= 1 && m <= 12 ? M[m - 1] : "";
}
