#include "client/call.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "wire/grpc_bytes.h"
#include "wire/request_codec.h"

/* Everything one call owns, so cleanup is in one place. */
typedef struct call_state {
    grpc_channel *channel;
    grpc_completion_queue *cq;
    grpc_call *call;
    grpc_metadata_array initial_md, trailing_md;
    grpc_slice details;
    const char *error_string;
} call_state;

static bool run_batch(call_state *s, grpc_op *ops, size_t n, void *tag)
{
    if (grpc_call_start_batch(s->call, ops, n, tag, NULL) != GRPC_CALL_OK)
        return false;
    grpc_event ev = grpc_completion_queue_pluck(s->cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME),
                                                NULL);
    return ev.type == GRPC_OP_COMPLETE && ev.success;
}

/* Decodes one Response and hands its audio to the callback. */
static cv_status deliver(grpc_byte_buffer *bb, call_chunk_fn on_chunk, void *ctx,
                         call_result *r)
{
    size_t len = 0;
    uint8_t *data = grpc_bytes_flatten(bb, &len);
    if (!data)
        return cv_error(CV_INTERNAL, "cannot read a reply message");
    uint8_t *audio = NULL;
    size_t audio_len = 0;
    uint32_t rate = 0;
    cv_status st = wire_response_decode(data, len, &audio, &audio_len, &rate, NULL);
    free(data);
    if (!cv_is_ok(&st))
        return st;
    if (audio_len % 2) {
        free(audio);
        return cv_error(CV_INTERNAL, "server sent a chunk with an odd number of audio bytes "
                        "(%zu); expected 16-bit PCM", audio_len);
    }
    size_t n = audio_len / 2;
    int16_t *pcm = malloc((n ? n : 1) * sizeof *pcm);
    if (!pcm) {
        free(audio);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (size_t i = 0; i < n; i++) /* wire order is little-endian */
        pcm[i] = (int16_t)(uint16_t)(audio[2 * i] | (audio[2 * i + 1] << 8));
    free(audio);
    st = on_chunk(ctx, pcm, n, rate ? rate : CALL_DEFAULT_SAMPLE_RATE);
    free(pcm);
    r->samples += n;
    return st;
}

/* Starts the call: metadata, the request, half-close, and waits for the
 * server's initial metadata (or the call's failure). */
static void send_request(call_state *s, const call_params *p)
{
    grpc_metadata md;
    memset(&md, 0, sizeof md);
    size_t n_md = 0;
    if (p->request_id && *p->request_id) {
        md.key = grpc_slice_from_static_string("x-request-id");
        md.value = grpc_slice_from_copied_string(p->request_id);
        n_md = 1;
    }
    grpc_byte_buffer *payload = grpc_bytes_wrap(p->request, p->request_len);
    grpc_op ops[4];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = n_md;
    ops[0].data.send_initial_metadata.metadata = n_md ? &md : NULL;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = payload;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &s->initial_md;
    /* A failed batch (refused connection, deadline) shows in the status.
     * Streamed text: the half-close comes after the text (text_sender);
     * the server's metadata comes with its first reply. */
    if (p->text_fd >= 0)
        run_batch(s, ops, 2, (void *)1);
    else
        run_batch(s, ops, 4, (void *)1);
    grpc_byte_buffer_destroy(payload);
    if (n_md) {
        grpc_slice_unref(md.key);
        grpc_slice_unref(md.value);
    }
}

static void receive_status(call_state *s, call_result *r)
{
    grpc_status_code code = GRPC_STATUS_UNKNOWN;
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    op.data.recv_status_on_client.trailing_metadata = &s->trailing_md;
    op.data.recv_status_on_client.status = &code;
    op.data.recv_status_on_client.status_details = &s->details;
    op.data.recv_status_on_client.error_string = &s->error_string;
    if (!run_batch(s, &op, 1, (void *)3)) {
        r->code = GRPC_STATUS_UNKNOWN;
        snprintf(r->details, sizeof r->details, "could not receive the call's status");
        return;
    }
    r->code = (int)code;
    size_t len = GRPC_SLICE_LENGTH(s->details);
    if (len >= sizeof r->details)
        len = sizeof r->details - 1;
    memcpy(r->details, GRPC_SLICE_START_PTR(s->details), len);
    r->details[len] = '\0';
}

/* StreamInference: the text, sent as it can be read (a pipe from an LLM
 * gives it a few bytes at a time), then the half-close. */
typedef struct text_sender {
    call_state *s;
    int fd;
    atomic_bool stop;
} text_sender;

static void *text_sender_run(void *arg)
{
    text_sender *t = arg;
    char buf[4096];
    while (!atomic_load(&t->stop)) {
        struct pollfd pfd = {.fd = t->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, 100);
        if (pr == 0) continue;
        ssize_t n = pr > 0 ? read(t->fd, buf, sizeof buf) : -1;
        if (n <= 0) break; /* end of input (or an error): the text is complete */
        size_t len;
        uint8_t *msg = wire_stream_request_encode(NULL, buf, (size_t)n, &len);
        if (!msg) break;
        grpc_byte_buffer *bb = grpc_bytes_wrap(msg, len);
        free(msg);
        grpc_op op;
        memset(&op, 0, sizeof op);
        op.op = GRPC_OP_SEND_MESSAGE;
        op.data.send_message.send_message = bb;
        bool ok = run_batch(t->s, &op, 1, (void *)4);
        grpc_byte_buffer_destroy(bb);
        if (!ok) return NULL; /* the call is over */
    }
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    run_batch(t->s, &op, 1, (void *)5);
    return NULL;
}

void call_run(const call_params *p, call_chunk_fn on_chunk, void *ctx, call_result *r)
{
    memset(r, 0, sizeof *r);
    r->code = GRPC_STATUS_UNKNOWN;
    r->first_chunk_s = -1;
    double t0 = cv_now();

    call_state s;
    memset(&s, 0, sizeof s);
    s.details = grpc_empty_slice();
    grpc_metadata_array_init(&s.initial_md);
    grpc_metadata_array_init(&s.trailing_md);
    /* Non-streaming replies can carry a whole sentence in one message:
     * lift gRPC's 4 MB default receive limit. */
    grpc_arg arg[2] = {{.type = GRPC_ARG_INTEGER,
                        .key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                        .value.integer = -1},
                       {.type = GRPC_ARG_STRING,
                        .key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG,
                        .value.string = (char *)p->tls_server_name}};
    grpc_channel_args args = {p->creds && p->tls_server_name ? 2 : 1, arg};
    grpc_channel_credentials *creds = p->creds ? p->creds : grpc_insecure_credentials_create();
    s.channel = grpc_channel_create(p->target, creds, &args);
    if (!p->creds)
        grpc_channel_credentials_release(creds);
    s.cq = grpc_completion_queue_create_for_pluck(NULL);
    gpr_timespec deadline = gpr_time_add(
        gpr_now(GPR_CLOCK_MONOTONIC),
        gpr_time_from_millis((int64_t)(p->timeout_s * 1000.0), GPR_TIMESPAN));
    s.call = grpc_channel_create_call(s.channel, NULL, GRPC_PROPAGATE_DEFAULTS, s.cq,
                                      grpc_slice_from_static_string(
                                          p->text_fd >= 0 ? CALL_STREAM_METHOD : CALL_METHOD),
                                      NULL, deadline, NULL);

    send_request(&s, p);
    text_sender ts = {.s = &s, .fd = p->text_fd};
    atomic_init(&ts.stop, false);
    pthread_t sender;
    bool sending = p->text_fd >= 0 && pthread_create(&sender, NULL, text_sender_run, &ts) == 0;
    if (p->text_fd >= 0) { /* comes with the first reply, while the text goes out */
        grpc_op op;
        memset(&op, 0, sizeof op);
        op.op = GRPC_OP_RECV_INITIAL_METADATA;
        op.data.recv_initial_metadata.recv_initial_metadata = &s.initial_md;
        run_batch(&s, &op, 1, (void *)6);
    }

    /* One RECV_MESSAGE at a time until the stream ends (NULL payload). */
    for (;;) {
        grpc_byte_buffer *bb = NULL;
        grpc_op op;
        memset(&op, 0, sizeof op);
        op.op = GRPC_OP_RECV_MESSAGE;
        op.data.recv_message.recv_message = &bb;
        if (!run_batch(&s, &op, 1, (void *)2) || !bb)
            break;
        if (r->chunks++ == 0)
            r->first_chunk_s = cv_now() - t0;
        cv_status st = deliver(bb, on_chunk, ctx, r);
        grpc_byte_buffer_destroy(bb);
        if (!cv_is_ok(&st)) {
            r->local_error = true;
            snprintf(r->local_message, sizeof r->local_message, "%s", st.message);
            grpc_call_cancel_with_status(s.call, GRPC_STATUS_CANCELLED, "client stopped the call",
                                         NULL);
            break;
        }
    }
    receive_status(&s, r);
    r->total_s = cv_now() - t0;
    if (sending) {
        atomic_store(&ts.stop, true);
        pthread_join(sender, NULL);
    }

    grpc_call_unref(s.call);
    grpc_completion_queue_shutdown(s.cq);
    grpc_completion_queue_destroy(s.cq);
    grpc_channel_destroy(s.channel);
    grpc_metadata_array_destroy(&s.initial_md);
    grpc_metadata_array_destroy(&s.trailing_md);
    grpc_slice_unref(s.details);
    gpr_free((void *)s.error_string);
}
