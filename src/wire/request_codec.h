/* Conversion between protobuf-c messages and the plain C request/response
 * types. The only place (with the server and client edges) that knows the
 * generated types. */
#ifndef CV_REQUEST_CODEC_H
#define CV_REQUEST_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* A decoded request that owns its memory. */
typedef struct wire_request {
    tts_request req;
    void *msg;         /* Cosyvoice__Request*, kept alive for its strings */
    int16_t *pcm;      /* aligned copy of prompt_audio */
} wire_request;

/* Decodes a serialized cosyvoice.Request. On error returns
 * INVALID_ARGUMENT with a message and leaves *out empty. */
cv_status wire_request_decode(const uint8_t *data, size_t len, wire_request *out);
void wire_request_free(wire_request *w);

/* Serializes a request (used by clients and tests). Returns a malloc'ed
 * buffer and its length in *len, or NULL on allocation failure. */
uint8_t *wire_request_encode(const tts_request *req, size_t *len);

/* One message of a StreamInference call (cosyvoice.StreamRequest). */
typedef enum wire_stream_kind {
    WIRE_STREAM_NONE = 0, /* neither field set */
    WIRE_STREAM_SETUP,    /* *setup filled (free with wire_request_free) */
    WIRE_STREAM_TEXT,     /* *text malloc'ed (may be NULL when empty), *text_len bytes */
} wire_stream_kind;

/* Decodes a serialized cosyvoice.StreamRequest. A setup is decoded (and
 * refused) exactly as wire_request_decode does for Inference's Request. */
cv_status wire_stream_request_decode(const uint8_t *data, size_t len, wire_stream_kind *kind,
                                     wire_request *setup, uint8_t **text, size_t *text_len);
/* Serializes a StreamRequest carrying setup (req) or, with req NULL, n
 * bytes of text. malloc'ed buffer, length in *len; NULL when out of memory. */
uint8_t *wire_stream_request_encode(const tts_request *req, const char *text, size_t n,
                                    size_t *len);

/* Serializes one Response carrying PCM. malloc'ed buffer, length in *len. */
uint8_t *wire_response_encode(const int16_t *pcm, size_t n, uint32_t sample_rate,
                              uint32_t chunk_index, size_t *len);

/* Decodes a Response; stores a malloc'ed copy of the audio bytes in *audio
 * (may be NULL with *audio_len 0) and the optional extension fields. */
cv_status wire_response_decode(const uint8_t *data, size_t len, uint8_t **audio,
                               size_t *audio_len, uint32_t *sample_rate, uint32_t *chunk_index);

#endif
