#include "text/segment.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text/script.h"

static bool is_stop(uint32_t c)
{
    switch (c) {
    case '!': case '?': case ';':
    case 0x3002: case 0xFF01: case 0xFF1F: case 0xFF1B: case 0x2026: case 0xFF61:
        return true;
    default: return false;
    }
}

static bool is_comma(uint32_t c)
{
    return c == ',' || c == ':' || c == 0xFF0C || c == 0x3001 || c == 0xFF1A;
}

/* Abbreviations whose period never ends a sentence (titles mostly). */
static bool is_title_abbrev(const uint32_t *cp, size_t lo, size_t hi)
{
    static const char *const abbr[] = {"mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr",
                                       "vs", "mt", "gen", "col", "capt", "rev", "fig"};
    char w[8];
    size_t n = hi - lo;
    if (n == 0 || n >= sizeof w) return false;
    for (size_t k = 0; k < n; k++) w[k] = (char)cp[lo + k];
    w[n] = '\0';
    for (size_t k = 0; k < sizeof abbr / sizeof abbr[0]; k++)
        if (strcasecmp(w, abbr[k]) == 0) return true;
    return false;
}

/* Does the period at cp[i] end a sentence? */
static bool period_ends_sentence(const uint32_t *cp, size_t n, size_t i)
{
    uint32_t next = i + 1 < n ? cp[i + 1] : 0;
    if (next == '.') return false; /* an ellipsis: decided at its last dot */
    if (is_ascii_alpha(next) || is_ascii_digit(next)) return false; /* 3.5, e.g, a.com */
    size_t w = i; /* the Latin word before the period */
    while (w > 0 && is_ascii_alpha(cp[w - 1])) w--;
    if (w < i) {
        if (is_title_abbrev(cp, w, i)) return false;
        /* initials and dotted abbreviations: "J. Smith", "e.g.", "U.S.";
         * but not the last of letters spelt out one by one ("P M.") */
        bool spelt = w >= 2 && cp[w - 1] == ' ' && is_ascii_alpha(cp[w - 2]) &&
                     (w == 2 || !is_ascii_alpha(cp[w - 3]));
        if (i - w == 1 && !spelt && (w == 0 || cp[w - 1] == '.' || cp[w - 1] == ' ') &&
            (cp[w] < 'a' || (w > 0 && cp[w - 1] == '.')))
            return false;
    }
    /* "etc. and", "approx. ten": a lower-case word goes on with the sentence */
    size_t k = i + 1;
    while (k < n && cp[k] == ' ') k++;
    if (k < n && k > i + 1 && cp[k] >= 'a' && cp[k] <= 'z') return false;
    return true;
}

size_t segment_sentence_cut(const uint32_t *cp, size_t n, size_t i)
{
    uint32_t c = cp[i];
    size_t j;
    if (c == TS_PARA) return i + 1;
    if (c == '.' || c == 0xFF0E) {
        if (!period_ends_sentence(cp, n, i)) return 0;
    } else if (!is_stop(c)) {
        return 0;
    }
    j = i + 1;
    while (j < n && (is_stop(cp[j]) || cp[j] == '.')) j++; /* "?!", "……" */
    while (j < n && is_closing_punct(cp[j])) j++;
    return j;
}

size_t seg_weight(const uint32_t *cp, size_t lo, size_t hi)
{
    size_t w = 0;
    for (size_t i = lo; i < hi; i++) {
        if (ts_is_marker(cp[i])) continue;
        w += script_is_cjk(script_of(cp[i])) ? 2 : 1;
    }
    return w;
}

static size_t content_chars(const uint32_t *cp, size_t lo, size_t hi)
{
    size_t k = 0;
    for (size_t i = lo; i < hi; i++)
        if (script_is_letter(script_of(cp[i])) || is_ascii_digit(cp[i])) k++;
    return k;
}

static bool push(seg_units *u, seg_unit x)
{
    if (u->count == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 16;
        seg_unit *p = realloc(u->items, cap * sizeof *p);
        if (!p) return false;
        u->items = p;
        u->cap = cap;
    }
    u->items[u->count++] = x;
    return true;
}

void seg_units_free(seg_units *u)
{
    free(u->items);
    memset(u, 0, sizeof *u);
}

/* Is there a markup boundary just before position lo? */
static bool markup_boundary(const tstream *s, size_t lo)
{
    return lo == 0 || lo >= s->n || ts_is_event(s->cp[lo - 1]) ||
           s->attr[lo] != s->attr[lo - 1];
}

static bool push_piece(const tstream *s, seg_units *out, size_t lo, size_t hi, bool end,
                       text_event ev)
{
    return push(out, (seg_unit){lo, hi, end, markup_boundary(s, lo), ev});
}

/* Pass 1: cut at sentence punctuation, attribute changes and events. */
static bool cut_sentences(const tstream *s, seg_units *out)
{
    size_t lo = 0;
    text_event ev = TEXT_EVENT_NONE;
    for (size_t i = 0; i < s->n;) {
        uint32_t c = s->cp[i];
        if (ts_is_event(c)) {
            if (i > lo || ev != TEXT_EVENT_NONE) {
                if (!push_piece(s, out, lo, i, false, ev)) return false;
            }
            ev = (text_event)(c - TS_EVENT_BASE);
            lo = ++i;
            continue;
        }
        if (i > lo && s->attr[i] != s->attr[i - 1]) {
            if (!push_piece(s, out, lo, i, false, ev)) return false;
            ev = TEXT_EVENT_NONE;
            lo = i;
        }
        size_t j = segment_sentence_cut(s->cp, s->n, i);
        if (j > 0) {
            if (!push_piece(s, out, lo, j, true, ev)) return false;
            ev = TEXT_EVENT_NONE;
            lo = i = j;
            continue;
        }
        i++;
    }
    if (s->n > lo || ev != TEXT_EVENT_NONE)
        if (!push_piece(s, out, lo, s->n, true, ev)) return false;
    return true;
}

/* A comma (or colon) where a long piece may be cut: not inside a number
 * ("1,234", "3:45"). Returns the index after it and its closers, or 0. */
static size_t comma_cut(const uint32_t *cp, size_t n, size_t i)
{
    if (!is_comma(cp[i])) return 0;
    if ((cp[i] == ',' || cp[i] == ':') && i > 0 && i + 1 < n && is_ascii_digit(cp[i - 1]) &&
        is_ascii_digit(cp[i + 1]))
        return 0;
    size_t j = i + 1;
    while (j < n && is_closing_punct(cp[j])) j++;
    return j;
}

static bool is_word_char(uint32_t c)
{
    return is_ascii_digit(c) || script_of(c) == SC_LATIN || script_of(c) == SC_HANGUL;
}

/* The longest run of word characters in cp[lo..hi). */
static size_t longest_word(const uint32_t *cp, size_t lo, size_t hi)
{
    size_t best = 0, run = 0;
    for (size_t i = lo; i < hi; i++) {
        run = is_word_char(cp[i]) ? run + 1 : 0;
        if (run > best) best = run;
    }
    return best;
}

/* Pass 2: a piece longer than limit (weighted) is cut at commas, greedily
 * as late as the limit allows; without a comma, at a blank once twice the
 * limit is reached, and without either, anywhere outside a Latin word or
 * number at four times the limit (unpunctuated CJK). Whatever the limit, a
 * word longer than SEGMENT_MAX_WORD is cut into pieces of that length:
 * back ends work on a word as a whole, flite in time and memory growing
 * with the square of its length, under a process-wide lock. */
static bool cut_long(const tstream *s, const seg_unit *u, size_t limit, seg_units *out)
{
    seg_unit cur = *u;
    size_t last_comma = 0, last_blank = 0, w = 0, run = 0;
    for (size_t i = u->lo; i < u->hi; i++) {
        w += seg_weight(s->cp, i, i + 1);
        run = is_word_char(s->cp[i]) ? run + 1 : 0;
        size_t j = comma_cut(s->cp, u->hi, i);
        if (j > 0 && j < u->hi) last_comma = j;
        if (s->cp[i] == ' ' && i > cur.lo) last_blank = i + 1;
        size_t cut = 0;
        if (run > SEGMENT_MAX_WORD && i > cur.lo) {
            cut = i; /* an over-long word, whatever the rest */
            run = 1;
        } else if (w > limit && last_comma > cur.lo) cut = last_comma;
        else if (w > 2 * limit && last_blank > cur.lo) cut = last_blank;
        else if (w > 4 * limit && i > cur.lo && !(is_word_char(s->cp[i - 1]) &&
                                                  is_word_char(s->cp[i])))
            cut = i; /* no comma nor blank for far too long: anywhere but in a word */
        if (cut > 0) {
            seg_unit head = cur;
            head.hi = cut;
            head.sentence_end = false;
            if (!push(out, head)) return false;
            cur.lo = cut;
            cur.hard_before = false;
            cur.event = TEXT_EVENT_NONE;
            w = seg_weight(s->cp, cut, i + 1);
            last_comma = last_blank = 0;
        }
    }
    return push(out, cur);
}

/* Pass 3: merge pieces with fewer than SEGMENT_MIN_CHARS letters or digits
 * into a neighbour when no markup boundary separates them; pieces with no
 * letters or digits at all (stray punctuation) go to the previous piece. */
static void merge_short(const tstream *s, seg_units *u)
{
    size_t w = 0;
    for (size_t r = 0; r < u->count; r++) {
        seg_unit x = u->items[r];
        size_t chars = content_chars(s->cp, x.lo, x.hi);
        if (chars == 0 && x.event == TEXT_EVENT_NONE) {
            if (w > 0 && u->items[w - 1].hi == x.lo) {
                u->items[w - 1].hi = x.hi;
                u->items[w - 1].sentence_end |= x.sentence_end;
            } else if (w > 0 && x.sentence_end) {
                u->items[w - 1].sentence_end = true;
            }
            continue;
        }
        if (chars > 0 && chars < SEGMENT_MIN_CHARS) {
            if (w > 0 && !x.hard_before && x.event == TEXT_EVENT_NONE &&
                u->items[w - 1].hi == x.lo) {
                u->items[w - 1].hi = x.hi;
                u->items[w - 1].sentence_end = x.sentence_end;
                continue;
            }
            if (r + 1 < u->count && !u->items[r + 1].hard_before &&
                u->items[r + 1].event == TEXT_EVENT_NONE && u->items[r + 1].lo == x.hi) {
                u->items[r + 1].lo = x.lo;
                u->items[r + 1].hard_before = x.hard_before;
                u->items[r + 1].event = x.event;
                continue;
            }
        }
        u->items[w++] = x;
    }
    u->count = w;
}

bool segment_stream(const tstream *s, size_t max_cjk, seg_units *out)
{
    size_t limit = 2 * (max_cjk ? max_cjk : SEGMENT_DEFAULT_MAX_CJK);
    seg_units sent = {0};
    bool ok = cut_sentences(s, &sent);
    for (size_t r = 0; ok && r < sent.count; r++) {
        if (seg_weight(s->cp, sent.items[r].lo, sent.items[r].hi) > limit ||
            longest_word(s->cp, sent.items[r].lo, sent.items[r].hi) > SEGMENT_MAX_WORD)
            ok = cut_long(s, &sent.items[r], limit, out);
        else
            ok = push(out, sent.items[r]);
    }
    seg_units_free(&sent);
    if (ok) merge_short(s, out);
    return ok;
}
