/* A code-point stream with one attribute index per code point: the working
 * representation of the front end between markup parsing and segmentation.
 * attr[i] indexes the markup attribute table (forced language, emphasis,
 * laughing), so normalization can rewrite text while keeping the markup
 * state of every character. */
#ifndef CV_TEXT_TSTREAM_H
#define CV_TEXT_TSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tstream {
    uint32_t *cp;
    uint16_t *attr;
    size_t n, cap;
} tstream;

/* Event markers travel inside the stream as code points of the last private
 * use plane; user text in that range is dropped by the markup parser. */
#define TS_EVENT_BASE 0x10FF00u
/* A paragraph break (blank line): ends a sentence like a full stop. */
#define TS_PARA (TS_EVENT_BASE + 0xFFu)
static inline bool ts_is_marker(uint32_t c) { return c >= TS_EVENT_BASE && c <= TS_PARA; }
static inline bool ts_is_event(uint32_t c) { return ts_is_marker(c) && c != TS_PARA; }

bool ts_push(tstream *s, uint32_t cp, uint16_t attr);
/* Appends UTF-8 text (valid UTF-8 assumed), every code point with attr. */
bool ts_push_str(tstream *s, const char *utf8, uint16_t attr);
void ts_free(tstream *s);
/* Encodes cp[lo..hi) as a newly allocated, NUL-terminated UTF-8 string. */
char *ts_to_utf8(const tstream *s, size_t lo, size_t hi);

#endif
