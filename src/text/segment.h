/* Sentence segmentation of the cleaned, normalized stream: cuts at sentence
 * punctuation, at markup boundaries (attribute changes, events), then at
 * commas when a piece is long; merges very short pieces into a neighbour.
 * Language runs are split later (lang_detect.c). */
#ifndef CV_TEXT_SEGMENT_H
#define CV_TEXT_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "text/frontend.h"
#include "text/tstream.h"

/* Default length limit in CJK characters; Latin and other characters count
 * half (so 60 of them), see seg_weight(). */
#define SEGMENT_DEFAULT_MAX_CJK 30
/* Pieces with fewer letters and digits than this are merged. */
#define SEGMENT_MIN_CHARS 4
/* Longest run of Latin letters, digits or Hangul kept whole (English's
 * longest dictionary words have 45 letters); longer runs are cut. */
#define SEGMENT_MAX_WORD 64

typedef struct seg_unit {
    size_t lo, hi;      /* code-point range in the stream */
    bool sentence_end;  /* cut after sentence punctuation or at the end */
    bool hard_before;   /* markup boundary before: never merged across */
    text_event event;   /* event preceding this piece */
} seg_unit;

typedef struct seg_units {
    seg_unit *items;
    size_t count, cap;
} seg_units;

/* Splits s into units. max_cjk: limit in CJK characters (0: default).
 * Returns false on allocation failure. */
bool segment_stream(const tstream *s, size_t max_cjk, seg_units *out);
void seg_units_free(seg_units *u);

/* If a sentence ends with the punctuation at cp[i], returns the index just
 * after it (and any closing quotes/brackets that follow); else 0. */
size_t segment_sentence_cut(const uint32_t *cp, size_t n, size_t i);

/* Weighted length: CJK characters 2, others 1. */
size_t seg_weight(const uint32_t *cp, size_t lo, size_t hi);

#endif
