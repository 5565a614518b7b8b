/* One Inference call: its state machine, its bounded chunk queue, and the
 * sink through which the engine hands it audio.
 *
 * Life of a call:
 *   NEW     decode, validate, check against the engine, submit for admission
 *           (each failure ends the call at once with a status);
 *   worker  runs the engine; every chunk goes through sink_write() into the
 *           call's queue; at most one SEND_MESSAGE is in flight, and when
 *           the queue is full the worker blocks (backpressure);
 *   SEND    completion: the next queued chunk is sent, or the final status
 *           once synthesis is over and the queue is empty;
 *   CLOSE   completion: if the client cancelled (or its deadline passed),
 *           the cancel flag stops the engine and releases the slot.
 * A call is also cancelled when a send makes no progress for --send-timeout
 * seconds (the client stopped reading; infer_check_send_timeouts). The
 * first reason a call is cancelled for becomes its final status, so a
 * deadline is reported as DEADLINE_EXCEEDED, not as the engine's CANCELLED.
 * The call is freed when its last reference (one per outstanding operation,
 * plus one for the worker/queue) goes away. */
#include <grpc/grpc.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "engine/text_pipe.h"
#include "server/call_common.h"
#include "server/metrics.h"
#include "server/server.h"
#include "wire/grpc_bytes.h"
#include "wire/request_codec.h"

#define container_of(p, T, m) ((T *)((char *)(p)-offsetof(T, m)))

/* Most samples in one Response: 2 MiB of audio (47.5 s at 22050 Hz). */
#define MAX_MESSAGE_SAMPLES ((size_t)1 << 20)

typedef struct chunk {
    struct chunk *next;
    grpc_byte_buffer *bb;
} chunk;

typedef struct infer_call {
    server_ctx *srv;
    admission_item item; /* admission queue link */
    tts_sink sink;       /* handed to the engine */
    cq_tag t_new, t_close, t_send, t_status;

    grpc_call *call;
    grpc_call_details details;
    gpr_timespec deadline; /* written by gRPC when the call arrives */
    grpc_metadata_array md_in;
    grpc_byte_buffer *payload;
    int close_cancelled; /* filled by RECV_CLOSE_ON_SERVER */
    grpc_metadata md_out;
    grpc_slice status_details;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;
    bool cancelled;   /* client cancelled, deadline passed, or call failed */
    cv_status cancel_why; /* the first reason it was cancelled for */
    double send_started;  /* when the send (or status) in flight started; 0: none */
    struct infer_call *live_prev, *live_next; /* s->live_list */
    bool md_sent;     /* initial metadata went out */
    bool sending;     /* a SEND_MESSAGE is in flight */
    bool synth_done;  /* the engine returned */
    bool status_sent;
    cv_status final;
    chunk *q_head, *q_tail;
    int q_len;

    wire_request wr;
    /* StreamInference only: text messages feed the pipe the engine reads */
    bool streaming, have_setup, recv_done;
    text_pipe pipe;
    grpc_byte_buffer *recv_bb;
    cq_tag t_recv;
    char request_id[CALL_ID_MAX];
    call_stats stats;
} infer_call;

static void call_unref(infer_call *c);

/* ---------------------------------------------------------------- helpers */

static void call_ref_locked(infer_call *c) { c->refs++; }

/* Marks the call cancelled (the engine stops, a blocked sink_write
 * returns); the first reason given is kept. Caller holds c->mu. */
static void cancel_locked(infer_call *c, cv_status why)
{
    if (!c->cancelled) {
        c->cancelled = true;
        c->cancel_why = why;
        if (c->streaming) /* an engine waiting for text stops waiting */
            text_pipe_fail(&c->pipe, why);
    }
    pthread_cond_broadcast(&c->cv);
}

/* Has the client's deadline passed? A client cancels its call when its own
 * timer fires, which is a little before ours (ours starts when the headers
 * arrive, ~10 ms later on loopback): a cancel that comes less than 250 ms
 * before our deadline is that client's deadline. */
#define DEADLINE_SLACK_MS 250
static bool deadline_passed(const infer_call *c)
{
    gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);
    gpr_timespec d = gpr_convert_clock_type(c->deadline, GPR_CLOCK_MONOTONIC);
    gpr_timespec slack = gpr_time_from_millis(DEADLINE_SLACK_MS, GPR_TIMESPAN);
    return gpr_time_cmp(now, gpr_time_sub(d, slack)) >= 0;
}

/* Why gRPC ended the call under us: the deadline, the client, shutdown. */
static cv_status close_reason(const infer_call *c)
{
    if (deadline_passed(c))
        return cv_error(CV_DEADLINE_EXCEEDED, "the client's deadline passed %.3f s into the call",
                        cv_now() - c->stats.t_start);
    if (atomic_load(&c->srv->shutting_down) && c->srv->grpc_shutdown_started)
        return cv_error(CV_UNAVAILABLE, "server shut down before the call finished (--grace)");
    return cv_error(CV_CANCELLED, "cancelled by the client (or its connection closed)");
}

static void call_free(infer_call *c)
{
    if (c->stats.t_start > 0) {
        server_ctx *s = c->srv;
        pthread_mutex_lock(&s->live_mu);
        if (c->live_prev)
            c->live_prev->live_next = c->live_next;
        else
            s->live_list = c->live_next;
        if (c->live_next)
            c->live_next->live_prev = c->live_prev;
        pthread_mutex_unlock(&s->live_mu);
    }
    call_end(c->srv, &c->stats);
    while (c->q_head) {
        chunk *k = c->q_head;
        c->q_head = k->next;
        grpc_byte_buffer_destroy(k->bb);
        free(k);
    }
    if (c->payload)
        grpc_byte_buffer_destroy(c->payload);
    if (c->recv_bb)
        grpc_byte_buffer_destroy(c->recv_bb);
    if (c->streaming)
        text_pipe_destroy(&c->pipe);
    grpc_metadata_array_destroy(&c->md_in);
    grpc_call_details_destroy(&c->details);
    grpc_slice_unref(c->md_out.value);
    grpc_slice_unref(c->status_details);
    wire_request_free(&c->wr);
    if (c->call)
        grpc_call_unref(c->call);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

static void call_unref(infer_call *c)
{
    pthread_mutex_lock(&c->mu);
    int left = --c->refs;
    pthread_mutex_unlock(&c->mu);
    if (left == 0)
        call_free(c);
}

/* Takes the request id from x-request-id metadata (printable ASCII, at most
 * 64 bytes) or makes one. */
static void pick_request_id(infer_call *c)
{
    for (size_t i = 0; i < c->md_in.count; i++) {
        grpc_metadata *m = &c->md_in.metadata[i];
        if (grpc_slice_str_cmp(m->key, "x-request-id") == 0) {
            call_request_id(c->srv, (const char *)GRPC_SLICE_START_PTR(m->value),
                            GRPC_SLICE_LENGTH(m->value), c->request_id);
            return;
        }
    }
    call_request_id(c->srv, NULL, 0, c->request_id);
}

/* Adds SEND_INITIAL_METADATA (carrying x-request-id) to ops if it has not
 * gone out yet: it leaves with whichever comes first, a chunk or the final
 * status. Returns the number of ops added. Caller holds c->mu. */
static size_t initial_metadata_locked(infer_call *c, grpc_op *ops)
{
    if (c->md_sent)
        return 0;
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = 1;
    ops[0].data.send_initial_metadata.metadata = &c->md_out;
    c->md_sent = true;
    return 1;
}

/* Starts the final status (with initial metadata if none went out yet).
 * Caller holds c->mu and has checked that nothing else is in flight. */
static void send_status_locked(infer_call *c)
{
    if (c->status_sent)
        return;
    c->status_sent = true;
    grpc_op ops[2];
    memset(ops, 0, sizeof ops);
    size_t n = initial_metadata_locked(c, ops);
    c->status_details = grpc_slice_from_copied_string(c->final.message);
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)c->final.code;
    ops[n].data.send_status_from_server.status_details =
        c->final.message[0] ? &c->status_details : NULL;
    ops[n].data.send_status_from_server.trailing_metadata_count = 0;
    n++;
    call_ref_locked(c);
    c->send_started = cv_now();
    grpc_call_error e = grpc_call_start_batch(c->call, ops, n, &c->t_status, NULL);
    if (e != GRPC_CALL_OK) {
        LOG_ERROR("[%s] start_batch(status) failed: %d", c->request_id, e);
        c->refs--; /* never freed here: the caller holds another reference */
    }
    if (c->streaming)
        c->stats.text_chars = text_pipe_chars(&c->pipe);
    call_log(c->srv, c->request_id, &c->wr.req, &c->stats, &c->final);
}

/* Finishes a call that never reached the engine. */
static void reject(infer_call *c, cv_status st)
{
    pthread_mutex_lock(&c->mu);
    c->final = st;
    c->synth_done = true;
    send_status_locked(c);
    pthread_mutex_unlock(&c->mu);
}

/* Sends the next queued chunk. Caller holds c->mu. */
static void send_next_locked(infer_call *c)
{
    chunk *k = c->q_head;
    if (!k || c->sending)
        return;
    c->q_head = k->next;
    if (!c->q_head)
        c->q_tail = NULL;
    c->q_len--;
    grpc_op ops[2];
    memset(ops, 0, sizeof ops);
    size_t n = initial_metadata_locked(c, ops);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n].data.send_message.send_message = k->bb;
    n++;
    c->sending = true;
    c->send_started = cv_now();
    call_ref_locked(c);
    grpc_call_error e = grpc_call_start_batch(c->call, ops, n, &c->t_send, NULL);
    /* gRPC takes its own reference to the message's slices. */
    grpc_byte_buffer_destroy(k->bb);
    free(k);
    if (e != GRPC_CALL_OK) {
        LOG_ERROR("[%s] start_batch(send) failed: %d", c->request_id, e);
        c->sending = false;
        c->refs--;
        cancel_locked(c, cv_error(CV_INTERNAL, "cannot send audio (start_batch %d)", e));
    }
    pthread_cond_broadcast(&c->cv); /* a queue slot is free */
}

/* ------------------------------------------------------- the engine sink */

static bool sink_cancelled(tts_sink *s)
{
    infer_call *c = container_of(s, infer_call, sink);
    pthread_mutex_lock(&c->mu);
    bool x = c->cancelled;
    pthread_mutex_unlock(&c->mu);
    return x;
}

/* Queues one message of n samples (blocking while the queue is full).
 * False once the call is cancelled. */
static bool queue_message(infer_call *c, const int16_t *pcm, size_t n)
{
    size_t len;
    uint8_t *msg =
        wire_response_encode(pcm, n, (uint32_t)c->srv->sample_rate, c->stats.chunks, &len);
    chunk *k = calloc(1, sizeof *k);
    if (!msg || !k) {
        free(msg);
        free(k);
        return false;
    }
    k->bb = grpc_bytes_wrap(msg, len);
    free(msg);

    pthread_mutex_lock(&c->mu);
    while (!c->cancelled && c->q_len >= c->srv->opt.chunk_queue)
        pthread_cond_wait(&c->cv, &c->mu);
    if (c->cancelled) {
        pthread_mutex_unlock(&c->mu);
        grpc_byte_buffer_destroy(k->bb);
        free(k);
        return false;
    }
    call_stats_chunk(&c->stats, n);
    if (c->q_tail)
        c->q_tail->next = k;
    else
        c->q_head = k;
    c->q_tail = k;
    c->q_len++;
    send_next_locked(c);
    pthread_mutex_unlock(&c->mu);
    return true;
}

static bool sink_write(tts_sink *s, const int16_t *pcm, size_t n)
{
    infer_call *c = container_of(s, infer_call, sink);
    if (n == 0)
        return !sink_cancelled(s);
    /* Long non-streamed segments go out in several messages, each well
     * below the 4 MB that gRPC clients accept by default. */
    for (size_t off = 0; off < n; off += MAX_MESSAGE_SAMPLES) {
        size_t k = n - off < MAX_MESSAGE_SAMPLES ? n - off : MAX_MESSAGE_SAMPLES;
        if (!queue_message(c, pcm + off, k))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------ the worker */

void infer_run(admission_item *item, void *ctx)
{
    (void)ctx;
    infer_call *c = container_of(item, infer_call, item);
    server_ctx *s = c->srv;
    cv_status st = call_synthesize(s, &c->wr.req, &c->sink, c->request_id);
    pthread_mutex_lock(&c->mu);
    /* The engine only sees "cancelled"; the call knows why. */
    if (c->cancelled && (st.code == CV_OK || st.code == CV_CANCELLED))
        st = c->cancel_why;
    c->final = st;
    c->synth_done = true;
    if (!c->sending && (!c->q_head || c->cancelled))
        send_status_locked(c);
    pthread_mutex_unlock(&c->mu);
    call_unref(c); /* the worker's reference */
}

/* ------------------------------------------------------- call lifecycle */

/* A call waiting for gRPC to match it with a client's call. */
static infer_call *call_new(server_ctx *s)
{
    infer_call *c = calloc(1, sizeof *c);
    if (!c) {
        LOG_ERROR("out of memory: cannot accept more calls");
        return NULL;
    }
    c->srv = s;
    c->t_new = (cq_tag){TAG_INFER_NEW, c};
    c->t_close = (cq_tag){TAG_INFER_CLOSE, c};
    c->t_send = (cq_tag){TAG_INFER_SEND, c};
    c->t_status = (cq_tag){TAG_INFER_STATUS, c};
    c->sink.write = sink_write;
    c->sink.cancelled = sink_cancelled;
    c->md_out.key = grpc_slice_from_static_string("x-request-id");
    c->md_out.value = grpc_empty_slice();
    c->status_details = grpc_empty_slice();
    grpc_metadata_array_init(&c->md_in);
    grpc_call_details_init(&c->details);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->refs = 1; /* the pending request */
    return c;
}

void infer_request_next(server_ctx *s)
{
    infer_call *c = call_new(s);
    if (!c)
        return;
    grpc_call_error e = grpc_server_request_registered_call(
        s->server, s->m_infer, &c->call, &c->deadline, &c->md_in, &c->payload, s->cq, s->cq,
        &c->t_new);
    if (e != GRPC_CALL_OK) {
        LOG_ERROR("request_registered_call failed: %d", e);
        call_free(c);
    }
}

/* The steps every call takes when it arrives, whichever its method.
 * False when it was refused at once. */
static bool call_arrived(server_ctx *s, infer_call *c)
{
    call_begin(s, &c->stats);
    pick_request_id(c);
    grpc_slice_unref(c->md_out.value);
    c->md_out.value = grpc_slice_from_copied_string(c->request_id);

    /* Learn about cancellation and deadline expiry as soon as they happen. */
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = &c->close_cancelled;
    c->refs++;
    if (grpc_call_start_batch(c->call, &op, 1, &c->t_close, NULL) != GRPC_CALL_OK) {
        c->refs--;
        c->cancelled = true;
        c->cancel_why = cv_error(CV_INTERNAL, "cannot watch the call for cancellation");
    }
    pthread_mutex_lock(&s->live_mu);
    c->live_next = s->live_list;
    if (s->live_list)
        s->live_list->live_prev = c;
    s->live_list = c;
    pthread_mutex_unlock(&s->live_mu);

    c->wr.req.tts_text = c->wr.req.spk_id = c->wr.req.prompt_text = c->wr.req.instruct_text = "";
    c->wr.req.mode = TTS_MODE_COUNT; /* logged as "-" until a request is decoded */
    if (atomic_load(&s->shutting_down)) {
        reject(c, cv_error(CV_UNAVAILABLE, "server is shutting down; retry on another replica"));
        return false;
    }
    return true;
}

/* Validation, the engine's check and admission: the call's worker
 * reference is taken here. */
static void accept_and_admit(server_ctx *s, infer_call *c, cv_status st)
{
    if (st.code == CV_OK) {
        c->wr.req.request_id = c->request_id;
        st = call_accept(s, &c->wr.req);
    }
    if (st.code != CV_OK) {
        if (c->wr.req.tts_text == NULL)
            c->wr.req.tts_text = "";
        reject(c, st);
        return;
    }
    pthread_mutex_lock(&c->mu);
    c->refs++; /* the worker's (or the queue's) reference */
    pthread_mutex_unlock(&c->mu);
    LOG_DEBUG("[%s] submitting for admission", c->request_id);
    st = call_admit(s, &c->item);
    if (st.code != CV_OK) {
        pthread_mutex_lock(&c->mu);
        c->refs--;
        pthread_mutex_unlock(&c->mu);
        reject(c, st);
    }
}

static void on_new(server_ctx *s, infer_call *c)
{
    if (!call_arrived(s, c))
        return;
    if (!c->payload) {
        /* The deadline can pass between the call's headers and its message. */
        reject(c, deadline_passed(c)
                      ? cv_error(CV_DEADLINE_EXCEEDED,
                                 "the client's deadline passed before its request message arrived")
                      : cv_error(CV_INVALID_ARGUMENT, "no request message received"));
        return;
    }
    size_t len = 0;
    uint8_t *bytes = grpc_bytes_flatten(c->payload, &len);
    grpc_byte_buffer_destroy(c->payload);
    c->payload = NULL;
    if (!bytes) {
        reject(c, cv_error(CV_INTERNAL, "cannot read request payload"));
        return;
    }
    cv_status st = wire_request_decode(bytes, len, &c->wr);
    free(bytes);
    accept_and_admit(s, c, st);
}

/* Ends a call for a reason found on the completion-queue side (a call
 * still waiting for a slot ends at once, a running one when its engine
 * sees the flag). */
static void fail_call(server_ctx *s, infer_call *c, cv_status why)
{
    pthread_mutex_lock(&c->mu);
    cancel_locked(c, why);
    pthread_mutex_unlock(&c->mu);
    if (admission_withdraw(&s->adm, &c->item)) {
        pthread_mutex_lock(&c->mu);
        c->final = c->cancel_why;
        c->synth_done = true;
        send_status_locked(c);
        pthread_mutex_unlock(&c->mu);
        call_unref(c); /* the queue's reference */
    }
}

/* ------------------------------------------------- StreamInference calls */

void stream_request_next(server_ctx *s)
{
    infer_call *c = call_new(s);
    if (!c)
        return;
    c->streaming = true;
    c->t_new.kind = TAG_STREAM_NEW;
    c->t_recv = (cq_tag){TAG_STREAM_RECV, c};
    text_pipe_init(&c->pipe, s->limits.max_text_chars, s->opt.text_idle_timeout);
    grpc_call_error e = grpc_server_request_registered_call(
        s->server, s->m_stream, &c->call, &c->deadline, &c->md_in, NULL, s->cq, s->cq,
        &c->t_new);
    if (e != GRPC_CALL_OK) {
        LOG_ERROR("request_registered_call(StreamInference) failed: %d", e);
        call_free(c);
    }
}

/* Asks for the next message; false if it cannot be started. */
static bool recv_next(infer_call *c)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &c->recv_bb;
    pthread_mutex_lock(&c->mu);
    c->refs++;
    pthread_mutex_unlock(&c->mu);
    if (grpc_call_start_batch(c->call, &op, 1, &c->t_recv, NULL) != GRPC_CALL_OK) {
        pthread_mutex_lock(&c->mu);
        c->refs--;
        pthread_mutex_unlock(&c->mu);
        return false;
    }
    return true;
}

static void on_stream_new(server_ctx *s, infer_call *c)
{
    text_pipe_touch(&c->pipe); /* made while the call was awaited */
    if (!call_arrived(s, c))
        return;
    if (!recv_next(c))
        reject(c, cv_error(CV_INTERNAL, "cannot receive the setup message"));
}

/* The first message: the setup, decoded and checked as Inference's
 * Request is; its tts_text (optional) is the first piece of text. */
static void on_setup(server_ctx *s, infer_call *c, const uint8_t *bytes, size_t len)
{
    wire_stream_kind kind;
    uint8_t *text = NULL;
    size_t n = 0;
    cv_status st = wire_stream_request_decode(bytes, len, &kind, &c->wr, &text, &n);
    free(text);
    if (kind != WIRE_STREAM_SETUP) /* logged as "-": no mode */
        c->wr.req.mode = TTS_MODE_COUNT;
    if (st.code == CV_OK && kind != WIRE_STREAM_SETUP)
        st = cv_error(CV_INVALID_ARGUMENT,
                      "the first StreamInference message must carry setup (a Request with one "
                      "of sft_request, zero_shot_request, cross_lingual_request, "
                      "instruct_request: the mode and its settings); text comes after it");
    c->have_setup = true;
    if (st.code == CV_OK) {
        const char *first = c->wr.req.tts_text;
        c->wr.req.source = &c->pipe.src;
        c->wr.req.tts_text = "";
        if (*first)
            st = text_pipe_push(&c->pipe, (const uint8_t *)first, strlen(first));
    }
    accept_and_admit(s, c, st);
}

static void on_stream_recv(server_ctx *s, infer_call *c, bool ok)
{
    grpc_byte_buffer *bb = c->recv_bb;
    c->recv_bb = NULL;
    pthread_mutex_lock(&c->mu);
    bool over = c->status_sent || c->cancelled;
    pthread_mutex_unlock(&c->mu);
    if (!ok || over) { /* the call ended: on_close tells why */
        if (bb)
            grpc_byte_buffer_destroy(bb);
        if (!c->have_setup && !over)
            reject(c, cv_error(CV_CANCELLED, "the call ended before its setup message"));
        return;
    }
    if (!bb) { /* half-close: the text is complete */
        if (!c->have_setup) {
            reject(c, deadline_passed(c)
                          ? cv_error(CV_DEADLINE_EXCEEDED,
                                     "the client's deadline passed before its setup message")
                          : cv_error(CV_INVALID_ARGUMENT,
                                     "the stream ended without any message: send a setup "
                                     "message, then the text"));
            return;
        }
        cv_status st = text_pipe_end(&c->pipe);
        if (st.code != CV_OK)
            fail_call(s, c, st);
        return;
    }
    size_t len = 0;
    uint8_t *bytes = grpc_bytes_flatten(bb, &len);
    grpc_byte_buffer_destroy(bb);
    if (!bytes) {
        if (c->have_setup)
            fail_call(s, c, cv_error(CV_INTERNAL, "cannot read a text message"));
        else
            reject(c, cv_error(CV_INTERNAL, "cannot read the setup message"));
        return;
    }
    cv_status st = cv_ok();
    if (!c->have_setup) {
        on_setup(s, c, bytes, len);
        free(bytes);
        pthread_mutex_lock(&c->mu);
        bool failed = c->status_sent || c->cancelled;
        pthread_mutex_unlock(&c->mu);
        if (!failed && !recv_next(c))
            fail_call(s, c, cv_error(CV_INTERNAL, "cannot receive text"));
        return;
    }
    wire_stream_kind kind;
    wire_request dup;
    uint8_t *text = NULL;
    size_t n = 0;
    st = wire_stream_request_decode(bytes, len, &kind, &dup, &text, &n);
    free(bytes);
    if (kind == WIRE_STREAM_SETUP) {
        wire_request_free(&dup);
        st = cv_error(CV_INVALID_ARGUMENT, "setup may only be the first message of the stream; "
                      "later messages carry text");
    }
    if (st.code == CV_OK && n > 0)
        st = text_pipe_push(&c->pipe, text, n);
    free(text);
    if (st.code != CV_OK)
        fail_call(s, c, st);
    else if (!recv_next(c))
        fail_call(s, c, cv_error(CV_INTERNAL, "cannot receive text"));
}

static void on_close(server_ctx *s, infer_call *c)
{
    pthread_mutex_lock(&c->mu);
    if (c->close_cancelled || !c->status_sent) /* deadline, client, connection, shutdown */
        cancel_locked(c, close_reason(c));
    bool cancelled = c->cancelled;
    pthread_mutex_unlock(&c->mu);
    /* A call still waiting for a slot ends here; one a worker took ends
     * when the engine sees the flag. */
    if (cancelled && admission_withdraw(&s->adm, &c->item)) {
        pthread_mutex_lock(&c->mu);
        c->final = cv_error(c->cancel_why.code, "%.400s, while waiting for a slot",
                            c->cancel_why.message);
        c->synth_done = true;
        send_status_locked(c);
        pthread_mutex_unlock(&c->mu);
        call_unref(c); /* the queue's reference */
    }
}

static void on_send(infer_call *c, bool ok)
{
    pthread_mutex_lock(&c->mu);
    c->sending = false;
    c->send_started = 0;
    if (!ok)
        cancel_locked(c, close_reason(c));
    if (c->q_head && !c->cancelled)
        send_next_locked(c);
    if (!c->sending && (c->cancelled || !c->q_head) && c->synth_done)
        send_status_locked(c);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

void infer_handle(server_ctx *s, cq_tag *tag, bool ok)
{
    infer_call *c = tag->owner;
    switch (tag->kind) {
    case TAG_INFER_NEW:
        if (!ok) { /* server shutting down: the request never matched a call */
            call_free(c);
            return;
        }
        /* Also while draining: every call that arrives then is answered
         * UNAVAILABLE at once (clients retry elsewhere), none waits. */
        if (!s->grpc_shutdown_started)
            infer_request_next(s);
        on_new(s, c);
        call_unref(c); /* the pending request's reference */
        return;
    case TAG_STREAM_NEW:
        if (!ok) {
            call_free(c);
            return;
        }
        if (!s->grpc_shutdown_started)
            stream_request_next(s);
        on_stream_new(s, c);
        call_unref(c);
        return;
    case TAG_STREAM_RECV:
        on_stream_recv(s, c, ok);
        break;
    case TAG_INFER_CLOSE:
        on_close(s, c);
        break;
    case TAG_INFER_SEND:
        on_send(c, ok);
        break;
    case TAG_INFER_STATUS:
        pthread_mutex_lock(&c->mu);
        c->send_started = 0;
        pthread_mutex_unlock(&c->mu);
        break;
    default:
        return;
    }
    call_unref(c);
}

bool infer_calls_open(server_ctx *s)
{
    pthread_mutex_lock(&s->live_mu);
    bool open = s->live_list != NULL;
    pthread_mutex_unlock(&s->live_mu);
    return open;
}

void infer_check_send_timeouts(server_ctx *s)
{
    double limit = s->opt.send_timeout;
    if (!(limit > 0))
        return;
    double now = cv_now();
    pthread_mutex_lock(&s->live_mu);
    for (infer_call *c = s->live_list; c; c = c->live_next) {
        pthread_mutex_lock(&c->mu);
        if (c->send_started > 0 && now - c->send_started > limit) {
            /* A status stuck behind unread audio: the outcome is already
             * decided and logged, only the call's memory is freed. */
            if (!c->status_sent)
                cancel_locked(c, cv_error(CV_CANCELLED,
                                          "the client stopped reading: no audio could be sent "
                                          "for %.1f s (--send-timeout)", limit));
            metrics_count_send_timeout();
            c->send_started = 0;
            /* gRPC ends the stuck operation: it completes, failed. */
            grpc_call_cancel_with_status(c->call, GRPC_STATUS_CANCELLED,
                                         "no send progress (--send-timeout)", NULL);
        }
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&s->live_mu);
}
