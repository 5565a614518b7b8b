/* Text -> token segments for the cosyvoice engine; see cv_text.h. */
#include "engine/cosyvoice/cv_text.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>

#include "common/grow_buf.h"
#include "common/utf8.h"
#include "text/frontend.h"

/* growable string */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static bool sb_add(sbuf *b, const char *s, size_t n)
{
    return grow_buf_append(&b->p, &b->n, &b->cap, s, n);
}
static bool sb_str(sbuf *b, const char *s) { return sb_add(b, s, strlen(s)); }

/* The segment as the model reads it: markup back as text. */
static bool render(const text_segment *seg, sbuf *out)
{
    out->n = 0;
    if (!sb_str(out, "")) return false;
    if (seg->event == TEXT_EVENT_LAUGHTER && !sb_str(out, "[laughter]")) return false;
    if (seg->event == TEXT_EVENT_BREATH && !sb_str(out, "[breath]")) return false;
    if (seg->laughing && !sb_str(out, "<laughter>")) return false;
    if (seg->emphasis && !sb_str(out, "<strong>")) return false;
    if (!sb_str(out, seg->text)) return false;
    if (seg->emphasis && !sb_str(out, "</strong>")) return false;
    if (seg->laughing && !sb_str(out, "</laughter>")) return false;
    return true;
}

static cv_status encode(const bpe_tokenizer *tok, const char *s, int32_t **ids, int *n)
{
    size_t k = 0;
    cv_status st = bpe_encode(tok, s, strlen(s), ids, &k);
    *n = (int)k;
    return st;
}

static int units(const bpe_tokenizer *tok, const char *s, bool chinese)
{
    if (chinese) return (int)utf8_length(s, strlen(s));
    int32_t *ids = NULL;
    int n = 0;
    cv_status st = encode(tok, s, &ids, &n);
    free(ids);
    return cv_is_ok(&st) ? n : 0;
}

static cv_status push(cv_text_segments *out, char *text)
{
    cv_text_segment *v = realloc(out->items, (size_t)(out->count + 1) * sizeof *v);
    if (!v) {
        free(text);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    out->items = v;
    v[out->count++] = (cv_text_segment){.text = text};
    return cv_ok();
}

/* Sentences -> merged segment texts (split_paragraph's merge rule). */
static cv_status merge(const bpe_tokenizer *tok, char **sent, int n, bool chinese,
                       cv_text_segments *out)
{
    const char *sep = chinese ? "" : " ";
    sbuf cur = {0}, trial = {0};
    cv_status st = cv_ok();
    if (!sb_str(&cur, "")) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    for (int i = 0; i < n && cv_is_ok(&st); i++) {
        trial.n = 0;
        if (!sb_str(&trial, cur.p) || (cur.n && !sb_str(&trial, sep)) || !sb_str(&trial, sent[i])) {
            st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
            break;
        }
        if (cur.n && units(tok, trial.p, chinese) > CV_SEG_MAX_UNITS &&
            units(tok, cur.p, chinese) > CV_SEG_MIN_UNITS) {
            st = push(out, strdup(cur.p));
            cur.n = 0;
            cur.p[0] = '\0';
            if (!cv_is_ok(&st) || !sb_str(&cur, sent[i])) break;
        } else {
            cur.n = 0;
            if (!sb_str(&cur, trial.p)) st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        }
    }
    if (cv_is_ok(&st) && cur.n) {
        if (out->count > 0 && units(tok, cur.p, chinese) < CV_SEG_MERGE_UNITS) {
            cv_text_segment *last = &out->items[out->count - 1];
            sbuf j = {0};
            if (!sb_str(&j, last->text) || !sb_str(&j, sep) || !sb_str(&j, cur.p)) {
                free(j.p);
                st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
            } else {
                free(last->text);
                last->text = j.p;
            }
        } else {
            st = push(out, strdup(cur.p));
        }
    }
    free(cur.p);
    free(trial.p);
    return st;
}

cv_status cv_text_segments_make(const bpe_tokenizer *tok, const char *text,
                                cv_text_segments *out)
{
    memset(out, 0, sizeof *out);
    cv_status st = cv_ok();
    if (strstr(text, "<|") && strstr(text, "|>")) {
        /* special tokens written by the caller: verbatim, like the reference */
        char *t = strdup(text);
        st = t ? push(out, t) : cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    } else {
        text_frontend_options fo = {.default_lang = LANG_UNKNOWN, .max_segment_chars = 1u << 20};
        text_segments segs = {0};
        st = text_frontend_run(text, &fo, &segs);
        if (!cv_is_ok(&st)) return st;
        char **sent = calloc(segs.count + 1, sizeof *sent);
        int n = 0;
        bool chinese = false;
        sbuf b = {0};
        if (!sent) st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        for (size_t i = 0; cv_is_ok(&st) && i < segs.count; i++) {
            if (!render(&segs.items[i], &b)) {
                st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
                break;
            }
            if (segs.items[i].event == TEXT_EVENT_NONE && !text_has_alnum(b.p)) continue;
            if (segs.items[i].lang == LANG_ZH || segs.items[i].lang == LANG_YUE) chinese = true;
            if (!(sent[n++] = strdup(b.p))) st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        }
        if (cv_is_ok(&st)) st = merge(tok, sent, n, chinese, out);
        for (int i = 0; i < n; i++) free(sent[i]);
        free(sent);
        free(b.p);
        text_segments_free(&segs);
    }
    for (int i = 0; cv_is_ok(&st) && i < out->count; i++)
        st = encode(tok, out->items[i].text, &out->items[i].ids, &out->items[i].n_ids);
    if (!cv_is_ok(&st)) cv_text_segments_free(out);
    return st;
}

void cv_text_segments_free(cv_text_segments *s)
{
    for (int i = 0; i < s->count; i++) {
        free(s->items[i].text);
        free(s->items[i].ids);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

cv_status cv_instruct_tokens(const bpe_tokenizer *tok, const char *instruct, int32_t **ids,
                             int *n)
{
    *ids = NULL;
    *n = 0;
    static const char marker[] = "<|endofprompt|>", old_marker[] = "<endofprompt>";
    size_t len = strlen(instruct);
    while (len && (instruct[len - 1] == ' ' || instruct[len - 1] == '\n' ||
                   instruct[len - 1] == '\t' || instruct[len - 1] == '\r'))
        len--;
    const char *tail = marker;
    size_t body = len;
    bool verbatim = false;
    if (ends_with(instruct, len, marker) || (strstr(instruct, "<|") && strstr(instruct, "|>"))) {
        verbatim = true; /* the reference skips normalization for such text */
        tail = ends_with(instruct, len, marker) ? "" : marker;
    } else if (ends_with(instruct, len, old_marker)) {
        body = len - (sizeof old_marker - 1);
        tail = old_marker;
    }
    sbuf b = {0};
    cv_status st = cv_ok();
    char *head = strndup(instruct, body);
    if (!head) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    if (verbatim) {
        if (!sb_str(&b, head)) st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    } else {
        text_frontend_options fo = {.default_lang = LANG_UNKNOWN, .max_segment_chars = 1u << 20};
        char *norm = NULL;
        st = text_frontend_normalize(head, &fo, &norm);
        if (cv_is_ok(&st) && !sb_str(&b, norm)) st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        free(norm);
    }
    free(head);
    if (cv_is_ok(&st) && !sb_str(&b, tail)) st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    if (cv_is_ok(&st)) st = encode(tok, b.p, ids, n);
    free(b.p);
    return st;
}

cv_status cv_prompt_text_tokens(const bpe_tokenizer *tok, const char *text, int32_t **ids,
                                int *n)
{
    *ids = NULL;
    *n = 0;
    if (strstr(text, "<|") && strstr(text, "|>")) return encode(tok, text, ids, n);
    text_frontend_options fo = {.default_lang = LANG_UNKNOWN, .max_segment_chars = 1u << 20};
    char *norm = NULL;
    cv_status st = text_frontend_normalize(text, &fo, &norm);
    if (cv_is_ok(&st)) st = encode(tok, norm, ids, n);
    free(norm);
    return st;
}
