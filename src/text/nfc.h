/* Unicode NFC normalization of UTF-8 text (ICU), as Qwen2's tokenizer
 * applies it to the whole text before anything else. */
#ifndef CV_TEXT_NFC_H
#define CV_TEXT_NFC_H

#include <stddef.h>

#include "common/status.h"

/* Normalizes the valid UTF-8 s[0..len). When s is already in NFC (always
 * for ASCII), *out is NULL and s is the result; otherwise *out is a
 * malloc'd NUL-terminated copy of the normalized text, *out_len its length. */
cv_status utf8_nfc(const char *s, size_t len, char **out, size_t *out_len);

#endif
