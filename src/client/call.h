/* One Inference call over gRPC's C core API: sends a serialized request and
 * streams every Response's audio into a callback as it arrives. Each call
 * uses its own channel, so a retry after a refused connection dials afresh
 * instead of waiting out the channel's internal reconnect backoff. */
#ifndef CV_CLIENT_CALL_H
#define CV_CLIENT_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define CALL_METHOD "/cosyvoice.CosyVoice/Inference"
#define CALL_STREAM_METHOD "/cosyvoice.CosyVoice/StreamInference"
/* Rate of chunks whose sample_rate field is unset (older servers). */
#define CALL_DEFAULT_SAMPLE_RATE 22050

/* Receives one chunk of s16 mono audio (n may be 0). A non-OK status
 * cancels the call; its message is reported as the local error. */
typedef cv_status (*call_chunk_fn)(void *ctx, const int16_t *pcm, size_t n,
                                   uint32_t sample_rate);

typedef struct call_params {
    const char *target;      /* "host:port" */
    const uint8_t *request;  /* serialized cosyvoice.Request (StreamRequest setup with text_fd) */
    int text_fd;             /* >= 0: StreamInference, the text read from this fd as it comes */
    size_t request_len;
    const char *request_id;  /* sent as x-request-id; NULL or "" for none */
    double timeout_s;        /* deadline of the call */
    struct grpc_channel_credentials *creds; /* NULL: insecure (plaintext) */
    const char *tls_server_name; /* NULL: verify the name in target */
} call_params;

typedef struct call_result {
    int code;                /* final grpc_status_code */
    char details[512];       /* the status message */
    size_t chunks;           /* Response messages received */
    size_t samples;          /* audio samples received */
    bool local_error;        /* the callback or reply decoding stopped the call */
    char local_message[CV_STATUS_MSG_MAX];
    double first_chunk_s;    /* from call start; < 0 if no chunk */
    double total_s;
} call_result;

/* Runs the call to completion. grpc_init() must have been called. */
void call_run(const call_params *p, call_chunk_fn on_chunk, void *ctx, call_result *r);

#endif
