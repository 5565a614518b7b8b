/* Text normalization: numbers, dates, times, currency, units and symbols
 * rewritten as the words a reader would say, in Chinese or English as the
 * surrounding text decides (Japanese and Korean text is left as written:
 * their engines read digits themselves). */
#ifndef CV_TEXT_NORMALIZE_H
#define CV_TEXT_NORMALIZE_H

#include "text/frontend.h"
#include "text/markup.h"
#include "text/tstream.h"

/* Rewrites in into out. default_lang is used for numbers with no letters
 * around them (LANG_UNKNOWN: the language most of the text is in, else
 * Chinese). Returns false on allocation failure. */
bool text_normalize(const tstream *in, const markup_attrs *attrs, text_lang default_lang,
                    tstream *out);

#endif
