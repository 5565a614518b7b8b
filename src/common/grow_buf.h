/* Appending to a growable, NUL-terminated byte buffer held as three plain
 * fields (pointer, length, capacity) inside whatever struct owns it. One
 * function, so every text accumulator (request bodies, streamed text,
 * normalizer output) grows the same way: capacity at least doubles, and
 * the buffer is always NUL-terminated so it can be read as a C string. */
#ifndef CV_GROW_BUF_H
#define CV_GROW_BUF_H

#include <stdbool.h>
#include <stddef.h>

/* Appends s[0..n) to *buf (length *len, capacity *cap; all zero/NULL for an
 * empty buffer). false when memory runs out: the buffer is then unchanged. */
bool grow_buf_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n);

#endif
