#include "text/markup.h"

#include <string.h>
#include <strings.h>

#include "common/utf8.h"

text_lang markup_lang_tag(const char *name, size_t len)
{
    static const struct { const char *tag; text_lang lang; } tags[] = {
        {"zh", LANG_ZH}, {"en", LANG_EN}, {"jp", LANG_JA}, {"ja", LANG_JA},
        {"yue", LANG_YUE}, {"ko", LANG_KO},
    };
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (strlen(tags[i].tag) == len && memcmp(tags[i].tag, name, len) == 0)
            return tags[i].lang;
    return LANG_UNKNOWN;
}

static text_event event_of(const char *name, size_t len)
{
    if (len == 8 && memcmp(name, "laughter", 8) == 0) return TEXT_EVENT_LAUGHTER;
    if (len == 6 && memcmp(name, "breath", 6) == 0) return TEXT_EVENT_BREATH;
    return TEXT_EVENT_OTHER;
}

/* Index of attr a in the table, adding it if new. */
static int intern(markup_attrs *t, markup_attr a)
{
    for (size_t i = 0; i < t->count; i++)
        if (t->items[i].forced == a.forced && t->items[i].emphasis == a.emphasis &&
            t->items[i].laughing == a.laughing)
            return (int)i;
    if (t->count == MARKUP_MAX_ATTRS) return -1;
    t->items[t->count] = a;
    return (int)t->count++;
}

/* Length of "<|name|>" at s if it is a special token (name of letters,
 * digits and "_.-", as Whisper/CosyVoice tokens are), else 0. */
static size_t special_token(const char *s, size_t len, size_t *name_len)
{
    if (len < 5 || s[0] != '<' || s[1] != '|') return 0;
    for (size_t k = 2; k < len && k < 66; k++) {
        char c = s[k];
        if (c == '|') {
            if (k + 1 < len && s[k + 1] == '>' && k > 2) {
                *name_len = k - 2;
                return k + 2;
            }
            return 0;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 0;
}

/* Length of "[event]" at s (lower-case letters, '_' and '-'), else 0. */
static size_t event_token(const char *s, size_t len)
{
    if (s[0] != '[') return 0;
    for (size_t k = 1; k < len && k < 34; k++) {
        char c = s[k];
        if (c == ']') return k > 1 ? k + 1 : 0;
        if (!((c >= 'a' && c <= 'z') || c == '_' || c == '-')) return 0;
    }
    return 0;
}

static bool starts_with_ci(const char *s, size_t len, const char *tag)
{
    size_t n = strlen(tag);
    return len >= n && strncasecmp(s, tag, n) == 0;
}

cv_status markup_parse(const char *text, size_t len, tstream *out, markup_attrs *attrs)
{
    attrs->count = 0;
    markup_attr cur = {LANG_UNKNOWN, false, false};
    int strong_depth = 0, laugh_depth = 0;
    int a = intern(attrs, cur);
    for (size_t i = 0; i < len;) {
        const char *s = text + i;
        size_t rest = len - i, n, name_len = 0;
        bool changed = false;
        if ((n = special_token(s, rest, &name_len)) > 0) {
            text_lang l = markup_lang_tag(s + 2, name_len);
            if (l != LANG_UNKNOWN) {
                cur.forced = l;
                changed = true;
            } else if (!ts_push(out, ' ', (uint16_t)a)) { /* dropped, words kept apart */
                return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
            }
            i += n;
        } else if ((n = event_token(s, rest)) > 0) {
            if (!ts_push(out, TS_EVENT_BASE + (uint32_t)event_of(s + 1, n - 2), (uint16_t)a))
                return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
            i += n;
        } else if (starts_with_ci(s, rest, "<strong>")) {
            strong_depth++; i += 8; changed = true;
        } else if (starts_with_ci(s, rest, "</strong>")) {
            if (strong_depth > 0) strong_depth--;
            i += 9; changed = true;
        } else if (starts_with_ci(s, rest, "<laughter>")) {
            laugh_depth++; i += 10; changed = true;
        } else if (starts_with_ci(s, rest, "</laughter>")) {
            if (laugh_depth > 0) laugh_depth--;
            i += 11; changed = true;
        } else {
            uint32_t cp;
            i += (size_t)utf8_decode(s, rest, &cp);
            if (cp >= TS_EVENT_BASE) continue; /* would be mistaken for a marker */
            if (!ts_push(out, cp, (uint16_t)a))
                return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        }
        if (changed) {
            cur.emphasis = strong_depth > 0;
            cur.laughing = laugh_depth > 0;
            if ((a = intern(attrs, cur)) < 0)
                return cv_error(CV_INVALID_ARGUMENT, "too many markup states");
        }
    }
    return cv_ok();
}
