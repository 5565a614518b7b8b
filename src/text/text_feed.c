/* Incremental segmentation of streamed text; see text_feed.h. */
#include "text/text_feed.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/grow_buf.h"
#include "common/utf8.h"
#include "text/markup.h"
#include "text/script.h"
#include "text/segment.h"

/* Longest markup token looked for: "<|name|>" names are at most 64 bytes. */
#define TAG_MAX 72

void text_feed_init(text_feed *f, size_t max_cjk)
{
    memset(f, 0, sizeof *f);
    f->max_weight = 2 * (max_cjk ? max_cjk : SEGMENT_DEFAULT_MAX_CJK);
}

void text_feed_free(text_feed *f)
{
    free(f->buf);
    memset(f, 0, sizeof *f);
}

bool text_feed_push(text_feed *f, const char *s, size_t n)
{
    return grow_buf_append(&f->buf, &f->len, &f->cap, s, n);
}

static bool is_blank(uint32_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x3000 || c == 0xA0;
}

static bool is_comma(uint32_t c)
{
    return c == ',' || c == ':' || c == 0xFF0C || c == 0x3001 || c == 0xFF1A;
}

/* Is there a non-blank code point in cp[from..n)? */
static bool text_after(const uint32_t *cp, size_t n, size_t from)
{
    for (size_t k = from; k < n; k++)
        if (!is_blank(cp[k])) return true;
    return false;
}

/* Markup at byte s (len bytes left): its byte length, 0 if none, or
 * (size_t)-1 if it may be markup whose end has not arrived yet. Updates
 * the span depths and the last language tag. */
static size_t markup_at(const char *s, size_t len, int *depth, char *lang, size_t *lang_len)
{
    static const char *const spans[] = {"<strong>", "</strong>", "<laughter>", "</laughter>"};
    if (s[0] == '<') {
        for (size_t k = 0; k < 4; k++) {
            size_t n = strlen(spans[k]);
            if (len >= n && strncasecmp(s, spans[k], n) == 0) {
                if (k % 2 == 0)
                    depth[k / 2]++;
                else if (depth[k / 2] > 0)
                    depth[k / 2]--;
                return n;
            }
            if (len < n && strncasecmp(s, spans[k], len) == 0) return (size_t)-1;
        }
        if (len >= 2 && s[1] != '|') return 0;
        for (size_t k = 1; k < len && k < TAG_MAX; k++)
            if (s[k] == '>') {
                if (s[k - 1] == '|' && k >= 4 &&
                    markup_lang_tag(s + 2, k - 3) != LANG_UNKNOWN) {
                    memcpy(lang, s, k + 1);
                    lang[k + 1] = '\0';
                    *lang_len = k + 1;
                }
                return k + 1;
            }
        return len < TAG_MAX ? (size_t)-1 : 0;
    }
    if (s[0] == '[') {
        for (size_t k = 1; k < len && k < 34; k++) {
            char c = s[k];
            if (c == ']') return k + 1;
            if (!((c >= 'a' && c <= 'z') || c == '_' || c == '-')) return 0;
        }
        return len < 34 ? (size_t)-1 : 0;
    }
    return 0;
}

/* Where the first piece of buf may end (a byte offset), or 0 if nowhere
 * yet. *lang receives the last language tag inside the piece. */
static size_t find_cut(const text_feed *f, const uint32_t *cp, const size_t *off, size_t n,
                       char *lang, bool *oom)
{
    (void)oom;
    int depth[2] = {0, 0};
    size_t weight = 0, lang_len = 0;
    for (size_t i = 0; i < n;) {
        size_t m = markup_at(f->buf + off[i], f->len - off[i], depth, lang, &lang_len);
        if (m == (size_t)-1) return 0; /* unfinished markup: wait for more */
        if (m > 0) {
            size_t end = off[i] + m;
            while (i < n && off[i] < end) i++;
            continue;
        }
        uint32_t c = cp[i];
        weight += script_is_cjk(script_of(c)) ? 2 : 1;
        bool open = depth[0] > 0 || depth[1] > 0;
        size_t j = 0;
        if (!open) {
            j = segment_sentence_cut(cp, n, i);
            if (j == 0 && c == '\n') { /* a blank line */
                size_t k = i + 1;
                while (k < n && is_blank(cp[k]) && cp[k] != '\n') k++;
                if (k < n && cp[k] == '\n') j = k + 1;
            }
            if (j == 0 && weight >= f->max_weight && is_comma(c)) {
                bool cjk = c >= 0x3000;
                if (cjk || (i + 1 < n && is_blank(cp[i + 1]))) j = i + 1;
            }
            if (j == 0 && weight >= 2 * f->max_weight && is_blank(c) && i > 0 &&
                !is_ascii_digit(cp[i - 1]))
                j = i + 1;
        }
        /* a cut needs text after it: "3." may be "3.14", "Dr." a title */
        if (j > 0 && j < n && text_after(cp, n, j)) return off[j];
        i++;
    }
    return 0;
}

char *text_feed_take(text_feed *f, bool at_end, bool *oom)
{
    *oom = false;
    if (f->len == 0) return NULL;
    size_t n = utf8_length(f->buf, f->len);
    uint32_t *cp = malloc((n + 1) * sizeof *cp);
    size_t *off = malloc((n + 1) * sizeof *off);
    char lang[TAG_MAX + 1] = "";
    char *piece = NULL;
    if (!cp || !off) goto oom;
    for (size_t i = 0, b = 0; i < n; i++) {
        off[i] = b;
        b += (size_t)utf8_decode(f->buf + b, f->len - b, &cp[i]);
    }
    off[n] = f->len;
    size_t cut = find_cut(f, cp, off, n, lang, oom);
    if (cut == 0 && at_end) {
        cut = f->len;
        /* the last tag of the rest, for completeness */
        int depth[2] = {0, 0};
        size_t ll = 0;
        for (size_t b = 0; b < f->len; b++) {
            size_t m = markup_at(f->buf + b, f->len - b, depth, lang, &ll);
            if (m != (size_t)-1 && m > 1) b += m - 1;
        }
    }
    if (cut == 0) goto done;
    bool blank = true;
    for (size_t i = 0; i < n && off[i] < cut && blank; i++) blank = is_blank(cp[i]);
    if (!blank) {
        size_t pre = strlen(f->lang_tag);
        /* a piece that starts with its own language tag needs no other */
        size_t lead = 0;
        while (lead < cut && is_blank((unsigned char)f->buf[lead])) lead++;
        if (pre && strncmp(f->buf + lead, "<|", 2) == 0) pre = 0;
        piece = malloc(pre + cut + 1);
        if (!piece) goto oom;
        memcpy(piece, f->lang_tag, pre);
        memcpy(piece + pre, f->buf, cut);
        piece[pre + cut] = '\0';
    }
    if (lang[0]) strcpy(f->lang_tag, lang);
    memmove(f->buf, f->buf + cut, f->len - cut + 1);
    f->len -= cut;
    /* blanks only: nothing to speak, try the next cut at once */
    if (!piece && f->len > 0) {
        free(cp);
        free(off);
        return text_feed_take(f, at_end, oom);
    }
    goto done;
oom:
    *oom = true;
done:
    free(cp);
    free(off);
    return piece;
}
