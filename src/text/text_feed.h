/* Incremental segmentation of text that arrives in pieces (StreamInference):
 * raw text goes in as it comes, and complete pieces come out as soon as it
 * is safe to cut them off, each to be run through the whole front end
 * (text_frontend_run) on its own.
 *
 * A cut is made only where the whole-text front end would end a sentence
 * too, and only once text after the boundary has arrived, so nothing the
 * normalizer treats as one unit is ever split: "3." followed by "14" is
 * still 3.14, "Dr." followed by " Smith" is no sentence end, "1," + "000"
 * stays a number. Cuts are made:
 *   - after sentence punctuation (segment_sentence_cut: . ! ? ; 。！？ and
 *     the abbreviation rules), once a non-blank character follows it;
 *   - at a paragraph break (a blank line), likewise;
 *   - after a comma followed by a blank (CJK commas need none) once the
 *     piece weighs max_weight (CJK characters 2, others 1): a long clause
 *     starts speaking before its sentence ends;
 *   - at a blank once the piece weighs four times that, for text without
 *     punctuation (an LLM listing words).
 * Never inside markup: an unfinished <tag> or [event], or an open
 * <strong>/<laughter> span, holds the cut back until it is closed. The last
 * <|lang|> tag seen is written in front of every later piece, so a language
 * forced for the rest of the text stays forced.
 *
 * Deviation from the whole text: sentences are not merged across pieces
 * (each complete sentence is spoken as soon as it exists), and a language
 * guess for digit-only text is made per piece. */
#ifndef CV_TEXT_TEXT_FEED_H
#define CV_TEXT_TEXT_FEED_H

#include <stdbool.h>
#include <stddef.h>

typedef struct text_feed {
    char *buf; /* text not yet taken: whole, valid UTF-8 characters */
    size_t len, cap;
    size_t max_weight;
    char lang_tag[72]; /* "<|en|>" last seen in a taken piece, or "" */
} text_feed;

/* max_cjk: the comma-cut length in CJK characters (0: the front end's
 * default, SEGMENT_DEFAULT_MAX_CJK). */
void text_feed_init(text_feed *f, size_t max_cjk);
void text_feed_free(text_feed *f);
/* Appends n bytes of whole, valid UTF-8 characters. False when out of
 * memory. */
bool text_feed_push(text_feed *f, const char *s, size_t n);
/* The next complete piece (malloc'ed, NUL-terminated; free it), or NULL if
 * none is complete yet. at_end: the input is over, so the rest is a piece
 * (NULL once only blanks remain). *oom set on allocation failure. */
char *text_feed_take(text_feed *f, bool at_end, bool *oom);

#endif
