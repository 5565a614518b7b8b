/* Standard (RFC 4648) base64 decoding, strict: the alphabet A-Z a-z 0-9 + /,
 * '=' padding only at the end, no whitespace. Used for the tiktoken
 * vocabulary, whose tokens are arbitrary bytes written in base64, and for
 * audio in the HTTP door's server-sent events. */
#ifndef CV_BASE64_H
#define CV_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes needed to decode n characters (an upper bound). */
static inline size_t cv_base64_decoded_max(size_t n) { return n / 4 * 3 + 3; }

/* Decodes in[0..n) into out (room for cv_base64_decoded_max(n) bytes) and
 * stores the byte count in *out_len. Returns false on malformed input. */
bool cv_base64_decode(const char *in, size_t n, uint8_t *out, size_t *out_len);

/* Characters encoding n bytes takes, padding included (no NUL). */
static inline size_t cv_base64_encoded_len(size_t n) { return (n + 2) / 3 * 4; }

/* Encodes in[0..n) into out (room for cv_base64_encoded_len(n) + 1), padded
 * and NUL-terminated. */
void cv_base64_encode(const uint8_t *in, size_t n, char *out);

#endif
