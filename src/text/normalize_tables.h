/* Word tables of the normalizer: units after numbers, symbols, currency
 * signs, and Chinese measure words (which make a lone 2 read 两). */
#ifndef CV_TEXT_NORMALIZE_TABLES_H
#define CV_TEXT_NORMALIZE_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct unit_word {
    const char *sym;      /* as written after the number, UTF-8 */
    const char *zh;       /* NULL: Chinese keeps the symbol */
    const char *en_one;   /* English, after exactly one */
    const char *en_many;
} unit_word;

/* Longest unit written at cp[i..n); stores its length in code points and
 * returns it, or NULL. The unit must not run on into a letter or digit. */
const unit_word *unit_match(const uint32_t *cp, size_t n, size_t i, size_t *len);

typedef struct symbol_word {
    uint32_t cp;
    const char *zh, *en;
    bool between_numbers; /* only read between two numbers ("3*4", "1 < 2") */
} symbol_word;

const symbol_word *symbol_lookup(uint32_t cp);

typedef struct currency_word {
    uint32_t sign;
    const char *zh;               /* after the amount: 美元 */
    const char *en_one, *en_many; /* main unit */
    const char *sub_one, *sub_many; /* hundredth, NULL if not read */
} currency_word;

const currency_word *currency_lookup(uint32_t cp);

/* A Chinese measure word starts at cp[i] (个, 只, 本...). */
bool zh_measure_word(const uint32_t *cp, size_t n, size_t i);

#endif
