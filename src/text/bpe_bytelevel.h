/* GPT-2's byte-level alphabet, in which Hugging Face BPE files (vocab.json,
 * merges.txt, tokenizer.json) write their tokens: every byte is one Unicode
 * character, the printable Latin-1 bytes ('!'..'~', U+00A1..U+00AC,
 * U+00AE..U+00FF) as themselves and the other 68 as U+0100.. in byte order
 * (so a space is U+0120 'Ġ'). The tokenizer works on raw bytes; these
 * helpers translate the files' strings once at load time. */
#ifndef CV_BPE_BYTELEVEL_H
#define CV_BPE_BYTELEVEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The character byte b is written as. */
uint32_t bpe_bytelevel_char(uint8_t b);

/* Translates the UTF-8 string s[0..len) of byte-level characters into the
 * bytes they stand for (out needs room for len bytes: each character gives
 * one byte and takes at least one). False if s is not valid UTF-8 or holds
 * a character outside the alphabet. */
bool bpe_bytelevel_decode(const char *s, size_t len, uint8_t *out, size_t *out_len);

#endif
