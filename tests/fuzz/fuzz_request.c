/* Fuzz target: request decoding and validation, exactly as the server runs
 * them on every Inference message it receives. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/validate.h"
#include "wire/request_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const tts_limits lim = {TTS_DEFAULT_MAX_TEXT, TTS_DEFAULT_MAX_PROMPT_SECONDS};
    wire_request w;
    cv_status st = wire_request_decode(data, size, &w);
    if (st.code != CV_OK) {
        if (!st.message[0])
            __builtin_trap(); /* every error must say something */
        return 0;
    }
    st = tts_request_validate(&w.req, &lim);
    if (st.code != CV_OK && !st.message[0])
        __builtin_trap();
    /* A decoded request re-encodes to something that decodes the same. */
    size_t len;
    uint8_t *again = wire_request_encode(&w.req, &len);
    if (again) {
        wire_request w2;
        if (wire_request_decode(again, len, &w2).code == CV_OK) {
            if (w2.req.mode != w.req.mode || strcmp(w2.req.tts_text, w.req.tts_text) != 0 ||
                w2.req.prompt_samples != w.req.prompt_samples)
                __builtin_trap();
            wire_request_free(&w2);
        }
        free(again);
    }
    wire_request_free(&w);
    return 0;
}
