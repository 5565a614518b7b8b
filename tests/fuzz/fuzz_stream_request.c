/* Fuzz target: StreamInference message decoding, and the text pipe and
 * incremental segmentation the server feeds the decoded text into: any
 * bytes, split anywhere, must give a status with a message or text pieces,
 * never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/text_pipe.h"
#include "text/text_feed.h"
#include "wire/request_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wire_stream_kind kind;
    wire_request w;
    uint8_t *text = NULL;
    size_t n = 0;
    cv_status st = wire_stream_request_decode(data, size, &kind, &w, &text, &n);
    if (st.code != CV_OK && !st.message[0])
        __builtin_trap();
    if (kind == WIRE_STREAM_SETUP)
        wire_request_free(&w);
    free(text);
    st = cv_ok();
    /* the raw bytes as streamed text, in pieces of 1..7 bytes */
    text_pipe p;
    text_pipe_init(&p, 10000, 0);
    text_feed f;
    text_feed_init(&f, 0);
    for (size_t i = 0, k = 0; i < size && cv_is_ok(&st); k++) {
        size_t m = 1 + k % 7;
        if (m > size - i) m = size - i;
        st = text_pipe_push(&p, data + i, m);
        i += m;
        char *piece;
        size_t len;
        /* one thread here: read only what is there (a read would wait) */
        if (cv_is_ok(&st) && p.len > 0) {
            st = p.src.read(&p.src, &piece, &len);
            if (!cv_is_ok(&st) || len == 0) break;
            text_feed_push(&f, piece, len);
            free(piece);
            bool oom;
            char *cut;
            while ((cut = text_feed_take(&f, false, &oom))) free(cut);
        }
    }
    bool oom;
    char *cut;
    while ((cut = text_feed_take(&f, true, &oom))) free(cut);
    text_feed_free(&f);
    text_pipe_destroy(&p);
    return 0;
}
