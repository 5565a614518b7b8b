#include "text/textclean.h"

#include "text/script.h"

uint32_t textclean_fold_width(uint32_t c)
{
    switch (c) {
    case 0xFF01: case 0xFF0C: case 0xFF1A: case 0xFF1B: case 0xFF1F:
    case 0xFF08: case 0xFF09:
        return c; /* ！，：；？（） are the usual Chinese punctuation */
    case 0x3000: return ' ';
    case 0xFFE0: return 0xA2;  /* ￠ */
    case 0xFFE1: return 0xA3;  /* ￡ */
    case 0xFFE5: return 0xA5;  /* ￥ */
    default: break;
    }
    if (c >= 0xFF01 && c <= 0xFF5E) return c - 0xFEE0;
    return c;
}

static bool is_blank(uint32_t c)
{
    return c < 0x20 || c == 0x7F || script_of(c) == SC_SPACE;
}

/* Characters next to which a blank is not a word separator. */
static bool blank_absorbing(uint32_t c)
{
    text_script s = script_of(c);
    return s == SC_HAN || s == SC_KANA || (c >= 0x3000 && c <= 0x303F) ||
           (c >= 0xFF00 && c <= 0xFFEF) || c == 0x2026 || c == 0x201C || c == 0x201D ||
           ts_is_marker(c);
}

bool textclean_run(const tstream *in, tstream *out)
{
    for (size_t i = 0; i < in->n;) {
        uint32_t c = textclean_fold_width(in->cp[i]);
        if (!is_blank(c)) {
            if (!ts_push(out, c, in->attr[i])) return false;
            i++;
            continue;
        }
        size_t j = i, newlines = 0;
        while (j < in->n && is_blank(textclean_fold_width(in->cp[j]))) {
            if (in->cp[j] == '\n') newlines++;
            j++;
        }
        if (newlines >= 2) {
            if (!ts_push(out, TS_PARA, in->attr[i])) return false;
        } else if (out->n > 0 && j < in->n) {
            uint32_t prev = out->cp[out->n - 1];
            uint32_t next = textclean_fold_width(in->cp[j]);
            bool hangul = script_of(prev) == SC_HANGUL || script_of(next) == SC_HANGUL;
            if (hangul || !(blank_absorbing(prev) || blank_absorbing(next)))
                if (!ts_push(out, ' ', in->attr[i])) return false;
        }
        i = j;
    }
    return true;
}
