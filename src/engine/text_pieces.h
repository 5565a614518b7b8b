/* Complete pieces of streamed text, for engines that synthesize text a
 * piece at a time: reads a tts_text_source and cuts what has arrived with
 * the incremental segmentation of text/text_feed.h. */
#ifndef CV_ENGINE_TEXT_PIECES_H
#define CV_ENGINE_TEXT_PIECES_H

#include "engine/engine.h"
#include "text/text_feed.h"

typedef struct text_pieces {
    tts_text_source *src;
    text_feed feed;
    bool ended;
} text_pieces;

void text_pieces_init(text_pieces *tp, tts_text_source *src, size_t max_cjk);
void text_pieces_free(text_pieces *tp);
/* Blocks until the next complete piece exists (*out malloc'ed, free it) or
 * the text is over (CV_OK, *out NULL); errors are the source's. */
cv_status text_pieces_next(text_pieces *tp, char **out);

#endif
