/* Kana readings for Japanese text: espeak-ng's Japanese voice reads kana
 * only (kanji come out as "Chinese letter" in English), so kanji in a
 * Japanese segment are first converted to hiragana with KAKASI. */
#ifndef CV_ESPEAK_KANA_READING_H
#define CV_ESPEAK_KANA_READING_H

#include <stdbool.h>

/* True if s holds a Han character. */
bool text_has_han(const char *s);

/* Returns a malloc'ed copy of s with kanji replaced by hiragana (other
 * characters kept), or NULL on failure. Thread-safe. */
char *kana_reading(const char *s);

#endif
