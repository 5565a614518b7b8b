/* The front end's pipeline: markup -> clean-up -> normalization ->
 * sentence segmentation -> language runs -> segments. */
#include "text/frontend.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>

#include "common/utf8.h"
#include "text/markup.h"
#include "text/normalize.h"
#include "text/script.h"
#include "text/segment.h"
#include "text/textclean.h"

const char *text_lang_name(text_lang l)
{
    static const char *const names[LANG_COUNT] = {"unknown", "zh", "en", "ja", "ko", "yue"};
    return (unsigned)l < LANG_COUNT ? names[l] : "unknown";
}

const char *text_event_name(text_event e)
{
    switch (e) {
    case TEXT_EVENT_NONE: return "none";
    case TEXT_EVENT_LAUGHTER: return "laughter";
    case TEXT_EVENT_BREATH: return "breath";
    case TEXT_EVENT_OTHER: return "other";
    }
    return "none";
}

bool text_has_alnum(const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += (size_t)utf8_decode(s + i, len - i, &cp);
        if (u_isalnum((UChar32)cp)) return true;
    }
    return false;
}

void text_segments_free(text_segments *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->count; i++) free(s->items[i].text);
    free(s->items);
    s->items = NULL;
    s->count = 0;
}

typedef struct builder {
    text_segments *out;
    size_t cap;
} builder;

static bool emit(builder *b, text_segment seg)
{
    if (b->out->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        text_segment *p = realloc(b->out->items, cap * sizeof *p);
        if (!p) return false;
        b->out->items = p;
        b->cap = cap;
    }
    b->out->items[b->out->count++] = seg;
    return true;
}

static bool skippable(uint32_t c)
{
    return ts_is_marker(c) || script_of(c) == SC_SPACE;
}

/* Commas and stops: meaningless at the start of a segment ("：请..." after
 * a </strong>). */
static bool is_separator_punct(uint32_t c)
{
    switch (c) {
    case ',': case '.': case ':': case ';': case '!': case '?':
    case 0xFF0C: case 0x3001: case 0xFF1A: case 0xFF1B: case 0x3002: case 0xFF01: case 0xFF1F:
        return true;
    default: return false;
    }
}

static bool ends_sentence(const tstream *s, size_t lo, size_t hi)
{
    for (size_t i = hi; i > lo; i--) {
        if (is_closing_punct(s->cp[i - 1])) continue;
        return segment_sentence_cut(s->cp, hi, i - 1) > 0;
    }
    return false;
}

/* The text of cp[lo..hi): a paragraph marker left inside by the merging of
 * a short piece becomes a blank, unless next to CJK or another blank. */
static char *segment_text(const tstream *s, size_t lo, size_t hi)
{
    tstream t = {0};
    bool ok = true;
    for (size_t i = lo; ok && i < hi; i++) {
        uint32_t c = s->cp[i];
        if (ts_is_marker(c)) {
            uint32_t prev = t.n ? t.cp[t.n - 1] : ' ', next = i + 1 < hi ? s->cp[i + 1] : ' ';
            if (prev == ' ' || next == ' ' || script_is_cjk(script_of(prev)) ||
                script_is_cjk(script_of(next)) || (prev >= 0x3000 && prev <= 0x303F) ||
                (prev >= 0xFF00 && prev <= 0xFFEF))
                continue;
            c = ' ';
        }
        ok = ts_push(&t, c, 0);
    }
    char *text = ok ? ts_to_utf8(&t, 0, t.n) : NULL;
    ts_free(&t);
    return text;
}

/* Emits the language runs of one unit as segments. */
static bool emit_unit(builder *b, const tstream *s, const markup_attrs *attrs,
                      const bool *kana, const seg_unit *u, text_lang default_lang,
                      text_lang fallback)
{
    size_t lo = u->lo, hi = u->hi;
    while (lo < hi && skippable(s->cp[lo])) lo++;
    while (hi > lo && skippable(s->cp[hi - 1])) hi--;
    /* an event-only unit may sit at the very end: take the last attribute */
    markup_attr a = attrs->items[s->attr[lo < s->n ? lo : s->n - 1]];
    text_segment seg = {.lang = a.forced != LANG_UNKNOWN ? a.forced : fallback,
                        .emphasis = a.emphasis, .laughing = a.laughing,
                        .event = u->event, .sentence_end = u->sentence_end};
    if (lo == hi) { /* an event with no text of its own */
        if (u->event == TEXT_EVENT_NONE) return true;
        seg.text = strdup("");
        return seg.text && emit(b, seg);
    }
    lang_run *runs = malloc((hi - lo + 1) * sizeof *runs);
    if (!runs) return false;
    size_t nr;
    if (a.forced != LANG_UNKNOWN) {
        runs[0] = (lang_run){lo, hi, a.forced};
        nr = 1;
    } else {
        text_lang han = default_lang == LANG_YUE ? LANG_YUE : LANG_ZH;
        if (kana[lo]) han = LANG_JA;
        nr = lang_split_runs(s->cp, lo, hi, han, fallback, runs);
    }
    bool ok = true;
    bool first = true;
    for (size_t r = 0; ok && r < nr; r++) {
        size_t rl = runs[r].lo, rh = runs[r].hi;
        while (rl < rh && (skippable(s->cp[rl]) || is_separator_punct(s->cp[rl]))) rl++;
        while (rh > rl && skippable(s->cp[rh - 1])) rh--;
        if (rl == rh) continue;
        text_segment x = seg;
        x.lang = runs[r].lang;
        x.event = first ? u->event : TEXT_EVENT_NONE;
        /* a run ends a sentence if it is the unit's last or ends with
         * sentence punctuation of its own (short sentences merged) */
        x.sentence_end = r + 1 == nr ? u->sentence_end : ends_sentence(s, rl, rh);
        x.text = segment_text(s, rl, rh);
        ok = x.text && emit(b, x);
        if (!ok) free(x.text);
        first = false;
    }
    free(runs);
    return ok;
}

/* Clean-up, normalization, and clean-up again: blanks around the Chinese
 * words normalization wrote go too ("3 + 4" -> "三加四"). */
static bool prepare(const tstream *raw, const markup_attrs *attrs, text_lang default_lang,
                    tstream *out)
{
    tstream clean = {0}, norm = {0};
    bool ok = textclean_run(raw, &clean) && text_normalize(&clean, attrs, default_lang, &norm) &&
              textclean_run(&norm, out);
    ts_free(&clean);
    ts_free(&norm);
    return ok;
}

cv_status text_frontend_run(const char *text, const text_frontend_options *opt,
                            text_segments *out)
{
    if (!out) return cv_error(CV_INVALID_ARGUMENT, "no output for the text front end");
    out->items = NULL;
    out->count = 0;
    if (!text) return cv_error(CV_INVALID_ARGUMENT, "no text");
    size_t len = strlen(text);
    if (!utf8_valid(text, len)) return cv_error(CV_INVALID_ARGUMENT, "text is not valid UTF-8");
    text_frontend_options o = {LANG_UNKNOWN, 0};
    if (opt) o = *opt;

    markup_attrs *attrs = malloc(sizeof *attrs);
    tstream raw = {0}, clean = {0};
    seg_units units = {0};
    bool *kana = NULL;
    builder b = {out, 0};
    cv_status st = cv_ok();
    if (!attrs) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    st = markup_parse(text, len, &raw, attrs);
    if (!cv_is_ok(&st)) goto done;
    if (!prepare(&raw, attrs, o.default_lang, &clean) ||
        !segment_stream(&clean, o.max_segment_chars, &units)) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    const tstream *fin = &clean;
    text_lang fallback = o.default_lang;
    if (fallback == LANG_UNKNOWN) fallback = lang_guess(fin->cp, fin->n);
    if (fallback == LANG_UNKNOWN) fallback = LANG_ZH;
    kana = kana_sentences(fin->cp, fin->n);
    if (fin->n > 0 && !kana) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < units.count; i++) {
        if (!emit_unit(&b, fin, attrs, kana, &units.items[i], o.default_lang, fallback)) {
            st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
            break;
        }
    }
done:
    free(kana);
    if (!cv_is_ok(&st)) text_segments_free(out);
    seg_units_free(&units);
    ts_free(&raw);
    ts_free(&clean);
    free(attrs);
    return st;
}

cv_status text_frontend_normalize(const char *text, const text_frontend_options *opt,
                                  char **out)
{
    if (!out) return cv_error(CV_INVALID_ARGUMENT, "no output for the text front end");
    *out = NULL;
    if (!text) return cv_error(CV_INVALID_ARGUMENT, "no text");
    size_t len = strlen(text);
    if (!utf8_valid(text, len)) return cv_error(CV_INVALID_ARGUMENT, "text is not valid UTF-8");
    markup_attrs *attrs = malloc(sizeof *attrs);
    if (!attrs) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    tstream raw = {0}, clean = {0}, plain = {0};
    cv_status st = markup_parse(text, len, &raw, attrs);
    bool ok = cv_is_ok(&st) &&
              prepare(&raw, attrs, opt ? opt->default_lang : LANG_UNKNOWN, &clean);
    for (size_t i = 0; ok && i < clean.n; i++) { /* markers are not text: a blank */
        uint32_t c = ts_is_marker(clean.cp[i]) ? ' ' : clean.cp[i];
        if (c != ' ' || (plain.n > 0 && plain.cp[plain.n - 1] != ' ')) ok = ts_push(&plain, c, 0);
    }
    if (ok) {
        size_t lo = 0, hi = plain.n;
        while (lo < hi && plain.cp[lo] == ' ') lo++;
        while (hi > lo && plain.cp[hi - 1] == ' ') hi--;
        ok = (*out = ts_to_utf8(&plain, lo, hi)) != NULL;
    }
    if (!ok && cv_is_ok(&st)) st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    ts_free(&raw);
    ts_free(&clean);
    ts_free(&plain);
    free(attrs);
    return st;
}

int text_segments_print(FILE *f, const text_segments *s)
{
    for (size_t i = 0; i < s->count; i++) {
        const text_segment *x = &s->items[i];
        char flags[64] = "";
        if (x->sentence_end) strcat(flags, ",end");
        if (x->emphasis) strcat(flags, ",emph");
        if (x->laughing) strcat(flags, ",laugh");
        if (x->event != TEXT_EVENT_NONE) {
            strcat(flags, ",event=");
            strcat(flags, text_event_name(x->event));
        }
        fprintf(f, "%-3s %-24s |%s|\n", text_lang_name(x->lang), flags[0] ? flags + 1 : "-",
                x->text);
    }
    return (int)s->count;
}
