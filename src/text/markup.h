/* CosyVoice markup: <|lang|> tags, other <|...|> special tokens, [event]
 * tokens, <strong> and <laughter> spans. Parsing removes the markup from
 * the text and records its effect per code point (attribute index) or as
 * event markers in the stream. */
#ifndef CV_TEXT_MARKUP_H
#define CV_TEXT_MARKUP_H

#include <stdbool.h>

#include "common/status.h"
#include "text/frontend.h"
#include "text/tstream.h"

typedef struct markup_attr {
    text_lang forced; /* from the last <|xx|> language tag; LANG_UNKNOWN if none */
    bool emphasis;
    bool laughing;
} markup_attr;

#define MARKUP_MAX_ATTRS 64

typedef struct markup_attrs {
    markup_attr items[MARKUP_MAX_ATTRS];
    size_t count;
} markup_attrs;

/* Parses valid UTF-8 text into out (appending) and attrs (reset first).
 * Private-use code points of the marker plane in the input are dropped. */
cv_status markup_parse(const char *text, size_t len, tstream *out, markup_attrs *attrs);

/* Language named by a tag body ("zh", "jp"...), LANG_UNKNOWN if none. */
text_lang markup_lang_tag(const char *name, size_t len);

#endif
