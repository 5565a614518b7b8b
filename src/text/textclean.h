/* Character-level clean-up before normalization: full-width forms to
 * half-width, blanks and line breaks collapsed. */
#ifndef CV_TEXT_TEXTCLEAN_H
#define CV_TEXT_TEXTCLEAN_H

#include "text/tstream.h"

/* Full-width ASCII variants (ＡＢＣ１２３＄％...) become ASCII, except the
 * ones that are ordinary Chinese punctuation (！，：；？（）), which keep
 * their CJK form; U+3000 becomes a blank. */
uint32_t textclean_fold_width(uint32_t cp);

/* Rewrites in into out: widths folded, control characters blanked, every
 * run of blanks one space, a blank line (two or more line breaks) a
 * paragraph marker, and blanks next to Han, kana or CJK punctuation
 * dropped (Chinese and Japanese do not separate words; Korean does). */
bool textclean_run(const tstream *in, tstream *out);

#endif
