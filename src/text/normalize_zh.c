/* Chinese number words. */
#include "common/grow_buf.h"
#include "text/normalize_words.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const ZH_DIGIT[10] = {"零", "一", "二", "三", "四",
                                         "五", "六", "七", "八", "九"};

void sb_addn(sbuf *b, const char *str, size_t n)
{
    if (!b->oom && !grow_buf_append(&b->s, &b->n, &b->cap, str, n)) b->oom = true;
}

void sb_add(sbuf *b, const char *str) { sb_addn(b, str, strlen(str)); }

void sb_free(sbuf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

void zh_digits(sbuf *b, const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++) sb_add(b, ZH_DIGIT[d[i] - '0']);
}

/* v < 10000. leading: first part of the whole number (10-19 read 十...,
 * a first digit 2 may be 两); before_unit: 万 or 亿 follows. */
static void zh_group(sbuf *b, unsigned v, bool leading, bool before_unit)
{
    static const char *const unit[4] = {"千", "百", "十", ""};
    unsigned p[4] = {v / 1000, v / 100 % 10, v / 10 % 10, v % 10};
    bool started = false, zero = false;
    for (int k = 0; k < 4; k++) {
        if (p[k] == 0) {
            if (started) zero = true;
            continue;
        }
        if (zero) sb_add(b, "零");
        zero = false;
        if (!started && leading && k == 2 && p[k] == 1) {
            sb_add(b, "十"); /* 十五, not 一十五 */
        } else {
            bool liang = !started && leading && p[k] == 2 && (k <= 1 || (k == 3 && before_unit));
            sb_add(b, liang ? "两" : ZH_DIGIT[p[k]]);
            sb_add(b, unit[k]);
        }
        started = true;
    }
}

static void zh_big(sbuf *b, uint64_t v, bool leading, bool before_unit)
{
    static const uint64_t YI = 100000000ull, WAN = 10000ull;
    if (v >= YI) {
        zh_big(b, v / YI, leading, true);
        sb_add(b, "亿");
        uint64_t rest = v % YI;
        if (rest > 0) {
            if (rest < YI / 10) sb_add(b, "零");
            zh_big(b, rest, false, before_unit);
        }
    } else if (v >= WAN) {
        zh_group(b, (unsigned)(v / WAN), leading, true);
        sb_add(b, "万");
        unsigned rest = (unsigned)(v % WAN);
        if (rest > 0) {
            if (rest < WAN / 10) sb_add(b, "零");
            zh_group(b, rest, false, before_unit);
        }
    } else {
        zh_group(b, (unsigned)v, leading, before_unit);
    }
}

void zh_cardinal(sbuf *b, const char *d, size_t n)
{
    while (n > 1 && d[0] == '0') { d++; n--; }
    if (n > 16) { zh_digits(b, d, n); return; }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (uint64_t)(d[i] - '0');
    if (v == 0) { sb_add(b, "零"); return; }
    zh_big(b, v, true, false);
}

void zh_number(sbuf *b, bool neg, const char *i, size_t ni, const char *f, size_t nf)
{
    if (neg) sb_add(b, "负");
    zh_cardinal(b, i, ni);
    if (nf > 0) {
        sb_add(b, "点");
        zh_digits(b, f, nf);
    }
}
