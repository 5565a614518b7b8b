/* UTF-8 helpers shared by request validation and the text front end. */
#ifndef CV_UTF8_H
#define CV_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);
/* Number of code points in a valid UTF-8 string. */
size_t utf8_length(const char *s, size_t len);
/* Decodes one code point at s (valid UTF-8 assumed, len > 0); returns its
 * byte length and stores the code point in *cp. */
int utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Encodes cp into out (at least 4 bytes); returns the byte count. */
int utf8_encode(uint32_t cp, char *out);

#endif
