/* Helpers shared by the text front-end tests: run the front end and render
 * its segments compactly, "lang:flags:text" joined by " / ", so a case is
 * one line of a table. Flags: E sentence end, S emphasis (strong), L laughing,
 * l/b/o event laughter/breath/other. */
#ifndef CV_TEST_TEXT_UTIL_H
#define CV_TEST_TEXT_UTIL_H

#include <stdio.h>
#include <string.h>

#include "text/frontend.h"

static inline const char *render_segments(const char *text, text_lang def, size_t max,
                                          char *buf, size_t cap)
{
    text_frontend_options opt = {def, max};
    text_segments segs;
    cv_status st = text_frontend_run(text, &opt, &segs);
    if (st.code != CV_OK) {
        snprintf(buf, cap, "ERROR %s", cv_code_name(st.code));
        return buf;
    }
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < segs.count && k < cap; i++) {
        const text_segment *x = &segs.items[i];
        char flags[8];
        size_t f = 0;
        if (x->sentence_end) flags[f++] = 'E';
        if (x->emphasis) flags[f++] = 'S';
        if (x->laughing) flags[f++] = 'L';
        if (x->event == TEXT_EVENT_LAUGHTER) flags[f++] = 'l';
        if (x->event == TEXT_EVENT_BREATH) flags[f++] = 'b';
        if (x->event == TEXT_EVENT_OTHER) flags[f++] = 'o';
        flags[f] = '\0';
        k += (size_t)snprintf(buf + k, cap - k, "%s%s:%s:%s", i ? " / " : "",
                              text_lang_name(x->lang), flags, x->text);
    }
    text_segments_free(&segs);
    return buf;
}

#endif
