#include "wire/request_codec.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cosyvoice.pb-c.h"

static const char *str_or_empty(const char *s) { return s ? s : ""; }

/* prompt_audio must be whole 16-bit samples; copied so it is aligned. */
static cv_status take_pcm(ProtobufCBinaryData b, wire_request *out)
{
    if (b.len % 2)
        return cv_error(CV_INVALID_ARGUMENT,
                        "prompt_audio has an odd number of bytes (%zu): it must be raw 16-bit "
                        "little-endian PCM", b.len);
    size_t n = b.len / 2;
    if (n) {
        out->pcm = malloc(n * sizeof(int16_t));
        if (!out->pcm)
            return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory for prompt_audio");
        for (size_t i = 0; i < n; i++)
            out->pcm[i] = (int16_t)(b.data[2 * i] | (b.data[2 * i + 1] << 8));
    }
    out->req.prompt_pcm = out->pcm;
    out->req.prompt_samples = n;
    return cv_ok();
}

/* protobuf-c hands strings over NUL-terminated, so one holding a NUL byte
 * would silently end there ("Hello\0world" spoken as "Hello"). It copies
 * each string into an allocation of exactly its wire length + 1, so an
 * allocator that remembers sizes tells the true length of every string.
 * Memory comes from malloc: the message is freed with the default one. */
typedef struct sized_allocs {
    struct sized { void *p; size_t n; } *items;
    size_t count, cap;
    bool failed;
} sized_allocs;

static void *sized_alloc(void *data, size_t n)
{
    sized_allocs *a = data;
    void *p = malloc(n ? n : 1);
    if (!p)
        return NULL;
    if (a->count == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        struct sized *v = realloc(a->items, cap * sizeof *v);
        if (!v) {
            a->failed = true; /* sizes unknown: decoding is refused */
            return p;
        }
        a->items = v;
        a->cap = cap;
    }
    a->items[a->count++] = (struct sized){p, n};
    return p;
}

static void sized_free(void *data, void *p)
{
    (void)data;
    free(p);
}

/* Bytes protobuf-c allocated for s (its wire length + 1), or 0 if s is not
 * one of its allocations (an unset field's shared empty string). Newest
 * first: a field sent twice frees its first copy, whose address malloc may
 * hand out again. */
static size_t alloc_size(const sized_allocs *a, const char *s)
{
    for (size_t i = a->count; i > 0; i--)
        if (a->items[i - 1].p == s)
            return a->items[i - 1].n;
    return 0;
}

static cv_status check_nul(const sized_allocs *a, const char *field, const char *s)
{
    size_t n = s ? alloc_size(a, s) : 0;
    if (n > 0 && strlen(s) + 1 != n)
        return cv_error(CV_INVALID_ARGUMENT,
                        "%s contains a NUL byte (at byte %zu of %zu): strings must not hold "
                        "U+0000", field, strlen(s), n - 1);
    return cv_ok();
}

/* gRPC core 1.51 ignores a grpc-encoding it does not know (snappy, zstd,
 * ...) and hands the message over still compressed, with nothing in the
 * API to tell. A message that does not parse is therefore checked for the
 * signature of the common compressed formats, so the client learns what is
 * wrong. Returns the format's name, or NULL. */
static const char *compressed_format(const uint8_t *d, size_t n)
{
    static const struct {
        const char *name;
        const char *magic;
        size_t len;
    } known[] = {
        {"gzip", "\x1f\x8b", 2},
        {"zstd", "\x28\xb5\x2f\xfd", 4},
        {"snappy (framed)", "\xff\x06\x00\x00sNaPpY", 10},
        {"lz4", "\x04\x22\x4d\x18", 4},
        {"bzip2", "BZh", 3},
        {"xz", "\xfd" "7zXZ", 5},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (n >= known[i].len && memcmp(d, known[i].magic, known[i].len) == 0)
            return known[i].name;
    /* zlib (gRPC's "deflate"): CM 8, window <= 32K, header check */
    if (n >= 2 && (d[0] & 0x0f) == 8 && (d[0] >> 4) <= 7 && ((d[0] << 8) | d[1]) % 31 == 0)
        return "deflate (zlib)";
    return NULL;
}

cv_status wire_request_decode(const uint8_t *data, size_t len, wire_request *out)
{
    memset(out, 0, sizeof *out);
    sized_allocs sizes = {0};
    ProtobufCAllocator alloc = {.alloc = sized_alloc, .free = sized_free, .allocator_data = &sizes};
    Cosyvoice__Request *m = cosyvoice__request__unpack(&alloc, len, data);
    /* Compressed bytes may even parse, as unknown fields and no payload. */
    const char *fmt = !m || m->request_payload_case == COSYVOICE__REQUEST__REQUEST_PAYLOAD__NOT_SET
                          ? compressed_format(data, len)
                          : NULL;
    if (!m || fmt) {
        free(sizes.items);
        if (m)
            cosyvoice__request__free_unpacked(m, NULL);
        if (fmt)
            return cv_error(CV_UNIMPLEMENTED,
                            "the request message is still compressed (it starts like %s data): "
                            "its grpc-encoding is one this server cannot read; use identity, "
                            "gzip or deflate", fmt);
        return cv_error(CV_INVALID_ARGUMENT, "request is not a valid cosyvoice.Request message");
    }
    out->msg = m;
    tts_request *r = &out->req;
    r->tts_text = r->spk_id = r->prompt_text = r->instruct_text = "";
    /* 0 is "unset" on the wire; anything else is checked by validation. */
    r->speed = m->speed != 0.0f ? m->speed : 1.0f;
    r->stream = !m->disable_streaming;
    r->request_id = "";
    cv_status st = cv_ok();
    switch (m->request_payload_case) {
    case COSYVOICE__REQUEST__REQUEST_PAYLOAD_SFT_REQUEST:
        r->mode = TTS_MODE_SFT;
        r->spk_id = str_or_empty(m->sft_request->spk_id);
        r->tts_text = str_or_empty(m->sft_request->tts_text);
        break;
    case COSYVOICE__REQUEST__REQUEST_PAYLOAD_ZERO_SHOT_REQUEST:
        r->mode = TTS_MODE_ZERO_SHOT;
        r->tts_text = str_or_empty(m->zero_shot_request->tts_text);
        r->prompt_text = str_or_empty(m->zero_shot_request->prompt_text);
        st = take_pcm(m->zero_shot_request->prompt_audio, out);
        break;
    case COSYVOICE__REQUEST__REQUEST_PAYLOAD_CROSS_LINGUAL_REQUEST:
        r->mode = TTS_MODE_CROSS_LINGUAL;
        r->tts_text = str_or_empty(m->cross_lingual_request->tts_text);
        st = take_pcm(m->cross_lingual_request->prompt_audio, out);
        break;
    case COSYVOICE__REQUEST__REQUEST_PAYLOAD_INSTRUCT_REQUEST:
        r->mode = TTS_MODE_INSTRUCT;
        r->tts_text = str_or_empty(m->instruct_request->tts_text);
        r->spk_id = str_or_empty(m->instruct_request->spk_id);
        r->instruct_text = str_or_empty(m->instruct_request->instruct_text);
        if (m->instruct_request->prompt_audio.len) /* instruct2 with a recording */
            st = take_pcm(m->instruct_request->prompt_audio, out);
        break;
    default:
        r->mode = TTS_MODE_COUNT; /* reported by validation */
        break;
    }
    const char *fields[][2] = {{"tts_text", r->tts_text}, {"spk_id", r->spk_id},
                               {"prompt_text", r->prompt_text},
                               {"instruct_text", r->instruct_text}};
    if (cv_is_ok(&st) && sizes.failed)
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory decoding the request");
    for (size_t i = 0; cv_is_ok(&st) && i < sizeof fields / sizeof fields[0]; i++)
        st = check_nul(&sizes, fields[i][0], fields[i][1]);
    free(sizes.items);
    if (!cv_is_ok(&st))
        wire_request_free(out);
    return st;
}

void wire_request_free(wire_request *w)
{
    if (w->msg)
        cosyvoice__request__free_unpacked(w->msg, NULL);
    free(w->pcm);
    memset(w, 0, sizeof *w);
}

uint8_t *wire_request_encode(const tts_request *r, size_t *len)
{
    Cosyvoice__Request m = COSYVOICE__REQUEST__INIT;
    Cosyvoice__SftRequest sft = COSYVOICE__SFT_REQUEST__INIT;
    Cosyvoice__ZeroshotRequest zs = COSYVOICE__ZEROSHOT_REQUEST__INIT;
    Cosyvoice__CrosslingualRequest cl = COSYVOICE__CROSSLINGUAL_REQUEST__INIT;
    Cosyvoice__InstructRequest in = COSYVOICE__INSTRUCT_REQUEST__INIT;
    /* prompt_audio on the wire is little-endian; build it explicitly. */
    uint8_t *pcm = NULL;
    ProtobufCBinaryData audio = {0, NULL};
    if (r->prompt_samples) {
        pcm = malloc(r->prompt_samples * 2);
        if (!pcm)
            return NULL;
        for (size_t i = 0; i < r->prompt_samples; i++) {
            uint16_t v = (uint16_t)r->prompt_pcm[i];
            pcm[2 * i] = (uint8_t)(v & 0xFF);
            pcm[2 * i + 1] = (uint8_t)(v >> 8);
        }
        audio.data = pcm;
        audio.len = r->prompt_samples * 2;
    }
    switch (r->mode) {
    case TTS_MODE_SFT:
        sft.spk_id = (char *)r->spk_id;
        sft.tts_text = (char *)r->tts_text;
        m.request_payload_case = COSYVOICE__REQUEST__REQUEST_PAYLOAD_SFT_REQUEST;
        m.sft_request = &sft;
        break;
    case TTS_MODE_ZERO_SHOT:
        zs.tts_text = (char *)r->tts_text;
        zs.prompt_text = (char *)r->prompt_text;
        zs.prompt_audio = audio;
        m.request_payload_case = COSYVOICE__REQUEST__REQUEST_PAYLOAD_ZERO_SHOT_REQUEST;
        m.zero_shot_request = &zs;
        break;
    case TTS_MODE_CROSS_LINGUAL:
        cl.tts_text = (char *)r->tts_text;
        cl.prompt_audio = audio;
        m.request_payload_case = COSYVOICE__REQUEST__REQUEST_PAYLOAD_CROSS_LINGUAL_REQUEST;
        m.cross_lingual_request = &cl;
        break;
    case TTS_MODE_INSTRUCT:
        in.tts_text = (char *)r->tts_text;
        in.spk_id = (char *)r->spk_id;
        in.instruct_text = (char *)r->instruct_text;
        if (r->prompt_samples) in.prompt_audio = audio;
        m.request_payload_case = COSYVOICE__REQUEST__REQUEST_PAYLOAD_INSTRUCT_REQUEST;
        m.instruct_request = &in;
        break;
    default:
        break; /* no payload: lets tests send the invalid empty request */
    }
    if (r->speed != 1.0f) /* as given: the server judges the range */
        m.speed = r->speed;
    m.disable_streaming = !r->stream;
    *len = cosyvoice__request__get_packed_size(&m);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf)
        cosyvoice__request__pack(&m, buf);
    free(pcm);
    return buf;
}

cv_status wire_stream_request_decode(const uint8_t *data, size_t len, wire_stream_kind *kind,
                                     wire_request *setup, uint8_t **text, size_t *text_len)
{
    *kind = WIRE_STREAM_NONE;
    *text = NULL;
    *text_len = 0;
    memset(setup, 0, sizeof *setup);
    Cosyvoice__StreamRequest *m = cosyvoice__stream_request__unpack(NULL, len, data);
    if (!m) {
        const char *fmt = compressed_format(data, len);
        if (fmt)
            return cv_error(CV_UNIMPLEMENTED,
                            "the request message is still compressed (it starts like %s data): "
                            "its grpc-encoding is one this server cannot read; use identity, "
                            "gzip or deflate", fmt);
        return cv_error(CV_INVALID_ARGUMENT,
                        "message is not a valid cosyvoice.StreamRequest");
    }
    cv_status st = cv_ok();
    if (m->stream_payload_case == COSYVOICE__STREAM_REQUEST__STREAM_PAYLOAD_SETUP) {
        /* through the Request decoder, for the very same checks */
        size_t n = cosyvoice__request__get_packed_size(m->setup);
        uint8_t *b = malloc(n ? n : 1);
        if (!b) {
            st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory decoding the request");
        } else {
            cosyvoice__request__pack(m->setup, b);
            st = wire_request_decode(b, n, setup);
            free(b);
        }
        if (cv_is_ok(&st)) *kind = WIRE_STREAM_SETUP;
    } else if (m->stream_payload_case == COSYVOICE__STREAM_REQUEST__STREAM_PAYLOAD_TEXT) {
        *kind = WIRE_STREAM_TEXT;
        if (m->text.len) {
            *text = malloc(m->text.len);
            if (!*text) {
                st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory decoding the request");
                *kind = WIRE_STREAM_NONE;
            } else {
                memcpy(*text, m->text.data, m->text.len);
                *text_len = m->text.len;
            }
        }
    }
    cosyvoice__stream_request__free_unpacked(m, NULL);
    return st;
}

uint8_t *wire_stream_request_encode(const tts_request *req, const char *text, size_t n,
                                    size_t *len)
{
    Cosyvoice__StreamRequest m = COSYVOICE__STREAM_REQUEST__INIT;
    Cosyvoice__Request *setup = NULL;
    if (req) {
        size_t rl;
        uint8_t *rb = wire_request_encode(req, &rl);
        if (!rb) return NULL;
        setup = cosyvoice__request__unpack(NULL, rl, rb);
        free(rb);
        if (!setup) return NULL;
        m.stream_payload_case = COSYVOICE__STREAM_REQUEST__STREAM_PAYLOAD_SETUP;
        m.setup = setup;
    } else {
        m.stream_payload_case = COSYVOICE__STREAM_REQUEST__STREAM_PAYLOAD_TEXT;
        m.text.data = (uint8_t *)text;
        m.text.len = n;
    }
    *len = cosyvoice__stream_request__get_packed_size(&m);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf) cosyvoice__stream_request__pack(&m, buf);
    if (setup) cosyvoice__request__free_unpacked(setup, NULL);
    return buf;
}

uint8_t *wire_response_encode(const int16_t *pcm, size_t n, uint32_t sample_rate,
                              uint32_t chunk_index, size_t *len)
{
    Cosyvoice__Response m = COSYVOICE__RESPONSE__INIT;
    uint8_t *bytes = malloc(n * 2 + 1);
    if (!bytes)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        uint16_t v = (uint16_t)pcm[i];
        bytes[2 * i] = (uint8_t)(v & 0xFF);
        bytes[2 * i + 1] = (uint8_t)(v >> 8);
    }
    m.tts_audio.data = bytes;
    m.tts_audio.len = n * 2;
    m.sample_rate = sample_rate;
    m.chunk_index = chunk_index;
    *len = cosyvoice__response__get_packed_size(&m);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf)
        cosyvoice__response__pack(&m, buf);
    free(bytes);
    return buf;
}

cv_status wire_response_decode(const uint8_t *data, size_t len, uint8_t **audio,
                               size_t *audio_len, uint32_t *sample_rate, uint32_t *chunk_index)
{
    Cosyvoice__Response *m = cosyvoice__response__unpack(NULL, len, data);
    if (!m)
        return cv_error(CV_INTERNAL, "server sent a malformed cosyvoice.Response");
    *audio = NULL;
    *audio_len = m->tts_audio.len;
    if (m->tts_audio.len) {
        *audio = malloc(m->tts_audio.len);
        if (!*audio) {
            cosyvoice__response__free_unpacked(m, NULL);
            return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        }
        memcpy(*audio, m->tts_audio.data, m->tts_audio.len);
    }
    if (sample_rate) *sample_rate = m->sample_rate;
    if (chunk_index) *chunk_index = m->chunk_index;
    cosyvoice__response__free_unpacked(m, NULL);
    return cv_ok();
}
