/* Number words for the normalizer: Chinese (normalize_zh.c) and English
 * (normalize_en.c), appended to a growing string. Digit strings are ASCII
 * ('0'..'9'), most significant first. */
#ifndef CV_TEXT_NORMALIZE_WORDS_H
#define CV_TEXT_NORMALIZE_WORDS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sbuf {
    char *s;
    size_t n, cap;
    bool oom; /* an allocation failed: contents incomplete */
} sbuf;

void sb_add(sbuf *b, const char *str);
void sb_addn(sbuf *b, const char *str, size_t n);
void sb_free(sbuf *b);

/* Chinese. Cardinals: 10 十, 15 十五, 105 一百零五, 1000 一千, 10000 一万;
 * a leading 2 before 百/千/万/亿 is 两 (200 两百, 20000000 两千万), any
 * other 2 is 二. Numbers of 17 digits or more are read digit by digit. */
void zh_cardinal(sbuf *b, const char *d, size_t n);
void zh_digits(sbuf *b, const char *d, size_t n);          /* 二零二四 */
/* [负]int[点frac] */
void zh_number(sbuf *b, bool neg, const char *i, size_t ni, const char *f, size_t nf);

/* English. Cardinals "one thousand two hundred thirty-four" (no "and");
 * 19 digits or more are read digit by digit. */
void en_cardinal(sbuf *b, const char *d, size_t n);
void en_digits(sbuf *b, const char *d, size_t n);          /* "one two three" */
void en_ordinal(sbuf *b, const char *d, size_t n);         /* "twenty-first" */
/* [minus ]int[ point frac] */
void en_number(sbuf *b, bool neg, const char *i, size_t ni, const char *f, size_t nf);
/* A year: 1999 "nineteen ninety-nine", 2024 "twenty twenty-four",
 * 2000 "two thousand", 2005 "two thousand five", 1905 "nineteen oh five". */
void en_year(sbuf *b, const char *d, size_t n);
/* "one half", "three quarters", "two thirds", "five over one hundred" */
void en_fraction(sbuf *b, const char *num, size_t nn, const char *den, size_t nd);
const char *en_month(int month); /* 1..12 -> "January"... */

#endif
