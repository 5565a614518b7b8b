/* Complete pieces of streamed text; see text_pieces.h. */
#include "engine/text_pieces.h"

#include <stdlib.h>

#include "text/frontend.h"

void text_pieces_init(text_pieces *tp, tts_text_source *src, size_t max_cjk)
{
    tp->src = src;
    tp->ended = false;
    text_feed_init(&tp->feed, max_cjk);
}

void text_pieces_free(text_pieces *tp) { text_feed_free(&tp->feed); }

cv_status text_pieces_next(text_pieces *tp, char **out)
{
    *out = NULL;
    for (;;) {
        bool oom;
        char *p = text_feed_take(&tp->feed, tp->ended, &oom);
        if (oom) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        if (p) {
            *out = p;
            return cv_ok();
        }
        if (tp->ended) return cv_ok();
        char *piece = NULL;
        size_t n = 0;
        cv_status st = tp->src->read(tp->src, &piece, &n);
        if (!cv_is_ok(&st)) return st;
        if (n == 0) {
            tp->ended = true;
            continue;
        }
        bool ok = text_feed_push(&tp->feed, piece, n);
        free(piece);
        if (!ok) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
}

/* The generic path of engine_synthesize: one synthesize() per piece. */
static bool worth_speaking(const char *p)
{
    for (const char *c = p; *c; c++)
        if (*c == '[') return true; /* an event, maybe */
    return text_has_alnum(p);
}

cv_status engine_synthesize(engine *e, const tts_request *req, tts_sink *sink)
{
    if (!req->source || (e->ops->reads_source && e->ops->reads_source(e, req)))
        return e->ops->synthesize(e, req, sink);
    text_pieces tp;
    text_pieces_init(&tp, req->source, 0);
    cv_status st = cv_ok();
    size_t spoken = 0;
    for (;;) {
        char *p = NULL;
        st = text_pieces_next(&tp, &p);
        if (!cv_is_ok(&st) || !p) break;
        if (worth_speaking(p)) {
            tts_request one = *req;
            one.tts_text = p;
            one.source = NULL;
            st = e->ops->synthesize(e, &one, sink);
            spoken++;
        }
        free(p);
        if (!cv_is_ok(&st)) break;
    }
    text_pieces_free(&tp);
    if (cv_is_ok(&st) && spoken == 0) st = cv_error(CV_INVALID_ARGUMENT, TEXT_NOTHING_TO_SPEAK);
    return st;
}
