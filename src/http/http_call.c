/* One streamed HTTP synthesis call: the sink the engine writes into, the
 * bounded queue of encoded bytes between the worker and libmicrohttpd, and
 * the connection's suspension while there is nothing to send.
 *
 * Life of a call:
 *   start    the request is complete and accepted; the call is admitted
 *            (the same slots and queue as gRPC) and the connection is
 *            suspended: no status line goes out before audio or an error
 *            exists, so an error before the first audio is a real 4xx/5xx;
 *   worker   runs the engine; each chunk is encoded, queued and wakes the
 *            connection; a full queue blocks the worker (backpressure: a
 *            slow reader pauses its own synthesis, as with gRPC);
 *   resumed  the first audio (or the end) is there: the 200 response with
 *            chunked transfer encoding is queued, or the error reply;
 *   reader   libmicrohttpd pulls queued bytes; with none, it suspends the
 *            connection again until the worker wakes it;
 *   done     the request is over: sent, or the client went away. A client
 *            that goes away cancels the call (the engine stops at its next
 *            check, the slot is freed; one still waiting leaves the queue).
 * While a connection is suspended libmicrohttpd does not see a client go
 * away, so a watch thread polls those sockets for a hang-up.
 *
 * References: the request (until libmicrohttpd reports it over), the worker
 * (until synthesis returns or the call leaves the queue), the response
 * (until libmicrohttpd frees it). */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/stream_encoder.h"
#include "common/base64.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "http/http_internal.h"

#define container_of(p, T, m) ((T *)((char *)(p)-offsetof(T, m)))

typedef struct out_chunk {
    struct out_chunk *next;
    size_t len, off;
    uint8_t data[];
} out_chunk;

struct http_call {
    http_door *door;
    server_ctx *srv;
    admission_item item;
    tts_sink sink;
    struct MHD_Connection *conn;
    int fd;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;
    bool cancelled;    /* client gone, shutdown, or an encoder failure */
    bool synth_done;   /* the worker is finished with the call */
    bool req_done;     /* libmicrohttpd is finished with the request */
    bool suspended;
    bool responding;   /* the 200 response is queued */
    bool stream_ended; /* the reader reached the end */
    bool logged;
    cv_status final;
    out_chunk *q_head, *q_tail;
    int q_len;

    stream_encoder *enc;
    bool sse;
    call_stats stats;
    char request_id[CALL_ID_MAX];
    http_call_spec spec;
    http_call *next, *prev; /* the door's list */
    bool listed;
};

/* ------------------------------------------------------------- helpers */

static void spec_free(http_call_spec *s)
{
    for (size_t i = 0; i < sizeof s->owned / sizeof s->owned[0]; i++)
        free(s->owned[i]);
    free(s->prompt);
    memset(s, 0, sizeof *s);
}

static void call_free(http_call *c)
{
    call_end(c->srv, &c->stats);
    while (c->q_head) {
        out_chunk *k = c->q_head;
        c->q_head = k->next;
        free(k);
    }
    stream_encoder_free(c->enc);
    spec_free(&c->spec);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

static void call_unref(http_call *c)
{
    pthread_mutex_lock(&c->mu);
    int left = --c->refs;
    pthread_mutex_unlock(&c->mu);
    if (left == 0)
        call_free(c);
}

static void unlist(http_call *c)
{
    http_door *d = c->door;
    pthread_mutex_lock(&d->mu);
    if (c->listed) {
        if (c->prev)
            c->prev->next = c->next;
        else
            d->calls = c->next;
        if (c->next)
            c->next->prev = c->prev;
        c->listed = false;
    }
    pthread_mutex_unlock(&d->mu);
}

/* Lets libmicrohttpd process the connection again. Caller holds c->mu.
 * Once the request is over the connection may be gone: never touch it. */
static void wake_locked(http_call *c)
{
    if (c->suspended && !c->req_done) {
        c->suspended = false;
        MHD_resume_connection(c->conn);
    }
}

/* One summary line once both the worker and the request are over. Caller
 * holds c->mu. */
static void maybe_log_locked(http_call *c)
{
    if (c->logged || !c->synth_done || !(c->stream_ended || c->req_done))
        return;
    c->logged = true;
    cv_status st = c->final;
    if (st.code == CV_OK && !c->stream_ended)
        st = cv_error(CV_CANCELLED, "the client went away before the end of the audio");
    call_log(c->srv, c->request_id, &c->spec.req, &c->stats, &st);
}

static out_chunk *chunk_new(const void *a, size_t na, const void *b, size_t nb, const void *z,
                            size_t nz)
{
    out_chunk *k = malloc(sizeof *k + na + nb + nz);
    if (!k)
        return NULL;
    k->next = NULL;
    k->off = 0;
    k->len = na + nb + nz;
    memcpy(k->data, a, na);
    if (nb)
        memcpy(k->data + na, b, nb);
    if (nz)
        memcpy(k->data + na + nb, z, nz);
    return k;
}

/* Encoded bytes as they go out: raw, or one SSE speech.audio.delta event. */
static out_chunk *chunk_for_bytes(http_call *c, const uint8_t *bytes, size_t n)
{
    if (!c->sse)
        return chunk_new(bytes, n, NULL, 0, NULL, 0);
    static const char head[] = "data: {\"type\":\"speech.audio.delta\",\"audio\":\"";
    static const char tail[] = "\"}\n\n";
    size_t blen = cv_base64_encoded_len(n);
    char *b64 = malloc(blen + 1);
    if (!b64)
        return NULL;
    cv_base64_encode(bytes, n, b64);
    out_chunk *k = chunk_new(head, sizeof head - 1, b64, blen, tail, sizeof tail - 1);
    free(b64);
    return k;
}

static void enqueue_locked(http_call *c, out_chunk *k)
{
    if (c->q_tail)
        c->q_tail->next = k;
    else
        c->q_head = k;
    c->q_tail = k;
    c->q_len++;
    wake_locked(c);
}

/* Moves what the encoder has produced into the queue. */
static bool push_encoded(http_call *c)
{
    size_t n;
    uint8_t *bytes = stream_encoder_take(c->enc, &n);
    if (!bytes)
        return true;
    out_chunk *k = chunk_for_bytes(c, bytes, n);
    free(bytes);
    if (!k)
        return false;
    pthread_mutex_lock(&c->mu);
    enqueue_locked(c, k);
    pthread_mutex_unlock(&c->mu);
    return true;
}

/* ----------------------------------------------------------- the sink */

static bool sink_cancelled(tts_sink *s)
{
    http_call *c = container_of(s, http_call, sink);
    pthread_mutex_lock(&c->mu);
    bool x = c->cancelled;
    pthread_mutex_unlock(&c->mu);
    return x;
}

static bool sink_write(tts_sink *s, const int16_t *pcm, size_t n)
{
    http_call *c = container_of(s, http_call, sink);
    pthread_mutex_lock(&c->mu);
    while (!c->cancelled && c->q_len >= c->srv->opt.chunk_queue)
        pthread_cond_wait(&c->cv, &c->mu);
    bool cancelled = c->cancelled;
    if (!cancelled && n)
        call_stats_chunk(&c->stats, n);
    pthread_mutex_unlock(&c->mu);
    if (cancelled)
        return false;
    if (n == 0)
        return true;
    cv_status st = stream_encoder_write(c->enc, pcm, n);
    if (!cv_is_ok(&st) || !push_encoded(c)) {
        LOG_ERROR("[%s] %s", c->request_id, cv_is_ok(&st) ? "out of memory" : st.message);
        pthread_mutex_lock(&c->mu);
        c->cancelled = true;
        pthread_mutex_unlock(&c->mu);
        return false;
    }
    return true;
}

/* The SSE event that ends a stream: done, or an error after audio began. */
static out_chunk *sse_end_event(http_call *c, const cv_status *st)
{
    char ev[CV_STATUS_MSG_MAX + 256];
    if (st->code == CV_OK) {
        /* OpenAI counts tokens; here input is characters and output is
         * audio samples, so clients that read usage see real sizes. */
        size_t in = strlen(c->spec.req.tts_text);
        snprintf(ev, sizeof ev,
                 "data: {\"type\":\"speech.audio.done\",\"usage\":{\"input_tokens\":%zu,"
                 "\"output_tokens\":%zu,\"total_tokens\":%zu}}\n\n",
                 in, c->stats.samples, in + c->stats.samples);
    } else {
        /* the message is plain ASCII/UTF-8 from this program; keep it JSON-safe */
        char msg[CV_STATUS_MSG_MAX];
        size_t j = 0;
        for (size_t i = 0; st->message[i] && j + 2 < sizeof msg; i++) {
            char ch = st->message[i];
            if (ch == '"' || ch == '\\')
                msg[j++] = '\\';
            msg[j++] = (unsigned char)ch < 0x20 ? ' ' : ch;
        }
        msg[j] = '\0';
        snprintf(ev, sizeof ev,
                 "data: {\"type\":\"error\",\"error\":{\"message\":\"%s\",\"type\":\"server_error\","
                 "\"code\":\"%s\"}}\n\n",
                 msg, cv_code_name(st->code));
    }
    return chunk_new(ev, strlen(ev), NULL, 0, NULL, 0);
}

/* ---------------------------------------------------------- the worker */

static void call_run(admission_item *item, void *ctx)
{
    (void)ctx;
    http_call *c = container_of(item, http_call, item);
    cv_status st = call_synthesize(c->srv, &c->spec.req, &c->sink, c->request_id);
    if (st.code == CV_OK) {
        cv_status fin = stream_encoder_finish(c->enc);
        if (!cv_is_ok(&fin) || !push_encoded(c))
            st = cv_is_ok(&fin) ? cv_error(CV_INTERNAL, "out of memory") : fin;
    }
    out_chunk *end = c->sse && (st.code == CV_OK || c->stats.chunks) ? sse_end_event(c, &st) : NULL;
    pthread_mutex_lock(&c->mu);
    if (end && !c->cancelled)
        enqueue_locked(c, end);
    else
        free(end);
    c->final = st;
    c->synth_done = true;
    wake_locked(c);
    maybe_log_locked(c);
    pthread_mutex_unlock(&c->mu);
    call_unref(c);
}

/* ------------------------------------------------- libmicrohttpd's side */

static ssize_t call_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    http_call *c = cls;
    pthread_mutex_lock(&c->mu);
    size_t n = 0;
    while (c->q_head && n < max) {
        out_chunk *k = c->q_head;
        size_t take = k->len - k->off < max - n ? k->len - k->off : max - n;
        memcpy(buf + n, k->data + k->off, take);
        n += take;
        k->off += take;
        if (k->off == k->len) {
            c->q_head = k->next;
            if (!c->q_head)
                c->q_tail = NULL;
            c->q_len--;
            free(k);
        }
    }
    ssize_t ret = (ssize_t)n;
    if (n) {
        pthread_cond_broadcast(&c->cv); /* room in the queue */
    } else if (c->synth_done) {
        c->stream_ended = c->final.code == CV_OK || c->sse;
        /* A broken stream must not look complete: end it without the
         * final zero-length chunk, so the client sees an error. */
        ret = c->stream_ended ? MHD_CONTENT_READER_END_OF_STREAM
                              : MHD_CONTENT_READER_END_WITH_ERROR;
        maybe_log_locked(c);
    } else if (c->cancelled) {
        ret = MHD_CONTENT_READER_END_WITH_ERROR;
    } else {
        c->suspended = true;
        MHD_suspend_connection(c->conn);
    }
    pthread_mutex_unlock(&c->mu);
    return ret;
}

static void call_response_free(void *cls) { call_unref(cls); }

static enum MHD_Result queue_stream(http_req *r, struct MHD_Connection *conn, http_call *c)
{
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, call_read, c,
                                          call_response_free);
    if (!resp)
        return MHD_NO;
    pthread_mutex_lock(&c->mu);
    c->refs++; /* the response's */
    c->responding = true;
    pthread_mutex_unlock(&c->mu);
    char rate[16];
    snprintf(rate, sizeof rate, "%d", stream_encoder_rate(c->enc));
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            c->sse ? "text/event-stream"
                                   : audio_format_mime((audio_format)c->spec.format));
    MHD_add_response_header(resp, "X-Sample-Rate", rate);
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no"); /* proxies: do not buffer */
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Decides what a complete, admitted request gets now. Caller holds c->mu;
 * returns with it released. */
static enum MHD_Result respond_unlock(http_req *r, struct MHD_Connection *conn, http_call *c)
{
    if (c->responding) { /* a stray resume */
        pthread_mutex_unlock(&c->mu);
        return MHD_YES;
    }
    if (c->stats.chunks == 0 && !c->synth_done && !c->cancelled) {
        c->suspended = true; /* nothing to say yet */
        MHD_suspend_connection(conn);
        pthread_mutex_unlock(&c->mu);
        return MHD_YES;
    }
    if (c->cancelled && !c->synth_done) {
        pthread_mutex_unlock(&c->mu);
        cv_status st = cv_error(CV_UNAVAILABLE, "the server is shutting down; retry on another "
                                                "replica");
        return http_reply_status(r, conn, &st);
    }
    if (c->synth_done && c->final.code != CV_OK && c->stats.chunks == 0) {
        cv_status st = c->final;
        pthread_mutex_unlock(&c->mu);
        return http_reply_status(r, conn, &st);
    }
    pthread_mutex_unlock(&c->mu);
    return queue_stream(r, conn, c);
}

enum MHD_Result http_call_resumed(http_req *r, struct MHD_Connection *conn)
{
    http_call *c = r->call;
    pthread_mutex_lock(&c->mu);
    return respond_unlock(r, conn, c);
}

enum MHD_Result http_call_reject(http_req *r, struct MHD_Connection *conn,
                                 const tts_request *req, const cv_status *st, unsigned status,
                                 const char *code, const char *param)
{
    call_stats stats = {0};
    call_begin(r->door->srv, &stats);
    call_log(r->door->srv, r->request_id, req, &stats, st);
    call_end(r->door->srv, &stats);
    if (!status && !code && !param)
        return http_reply_status(r, conn, st);
    return http_reply_error(r, conn, status ? status : http_status_for(st->code), code, param,
                            st->message);
}

enum MHD_Result http_call_start(http_req *r, struct MHD_Connection *conn, http_call_spec *spec)
{
    http_door *d = r->door;
    server_ctx *s = d->srv;
    http_call *c = calloc(1, sizeof *c);
    if (!c) {
        spec_free(spec);
        return MHD_NO;
    }
    c->door = d;
    c->srv = s;
    c->spec = *spec;
    memset(spec, 0, sizeof *spec);
    snprintf(c->request_id, sizeof c->request_id, "%s", r->request_id);
    c->spec.req.request_id = c->request_id;
    c->sse = c->spec.sse;
    c->item.run = call_run;
    c->sink.write = sink_write;
    c->sink.cancelled = sink_cancelled;
    c->conn = conn;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    c->fd = ci ? ci->connect_fd : -1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    call_begin(s, &c->stats);

    cv_status st = stream_encoder_open((audio_format)c->spec.format, s->sample_rate,
                                       c->spec.out_rate, &c->enc);
    if (cv_is_ok(&st) && !push_encoded(c)) /* a container header, if any */
        st = cv_error(CV_INTERNAL, "out of memory");
    c->refs = 2; /* the request's and the worker's */
    if (cv_is_ok(&st))
        st = call_admit(s, &c->item);
    if (!cv_is_ok(&st)) {
        call_log(s, c->request_id, &c->spec.req, &c->stats, &st);
        enum MHD_Result ret = http_reply_status(r, conn, &st);
        call_free(c);
        return ret;
    }
    pthread_mutex_lock(&d->mu);
    c->next = d->calls;
    if (d->calls)
        d->calls->prev = c;
    d->calls = c;
    c->listed = true;
    pthread_mutex_unlock(&d->mu);
    r->call = c;
    pthread_mutex_lock(&c->mu);
    return respond_unlock(r, conn, c);
}

void http_call_request_done(http_call *c, bool completed_ok)
{
    unlist(c);
    pthread_mutex_lock(&c->mu);
    c->req_done = true;
    c->suspended = false; /* libmicrohttpd resumed it to close it */
    if (!completed_ok || !c->stream_ended) {
        c->cancelled = true;
        pthread_cond_broadcast(&c->cv);
    }
    maybe_log_locked(c); /* if the worker is done already */
    bool cancelled = c->cancelled;
    pthread_mutex_unlock(&c->mu);
    /* One still waiting for a slot leaves the queue here; one a worker
     * took ends when the engine sees the flag. */
    if (cancelled && admission_withdraw(&c->srv->adm, &c->item)) {
        pthread_mutex_lock(&c->mu);
        c->final = cv_error(CV_CANCELLED, "the client went away while waiting for a slot");
        c->synth_done = true;
        maybe_log_locked(c);
        pthread_mutex_unlock(&c->mu);
        call_unref(c); /* the worker's */
    }
    call_unref(c); /* the request's */
}

/* ------------------------------------------------------------ the watch */

static void *watch_main(void *arg)
{
    http_door *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        for (http_call *c = d->calls; c; c = c->next) {
            pthread_mutex_lock(&c->mu);
            if (!c->req_done && !c->cancelled && c->suspended && c->fd >= 0) {
                struct pollfd p = {.fd = c->fd, .events = POLLRDHUP};
                if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
                    LOG_DEBUG("[%s] client went away", c->request_id);
                    c->cancelled = true;
                    pthread_cond_broadcast(&c->cv);
                    wake_locked(c);
                }
            }
            pthread_mutex_unlock(&c->mu);
        }
        struct timespec t = cv_timespec_after(CLOCK_REALTIME, 0.1);
        pthread_cond_timedwait(&d->watch_cv, &d->mu, &t);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

void http_call_watch_start(http_door *d)
{
    d->stopping = false;
    d->watching = pthread_create(&d->watch, NULL, watch_main, d) == 0;
}

void http_call_watch_stop(http_door *d)
{
    pthread_mutex_lock(&d->mu);
    d->stopping = true;
    pthread_cond_broadcast(&d->watch_cv);
    pthread_mutex_unlock(&d->mu);
    if (d->watching)
        pthread_join(d->watch, NULL);
    d->watching = false;
}

void http_call_cancel_all(http_door *d)
{
    pthread_mutex_lock(&d->mu);
    for (http_call *c = d->calls; c; c = c->next) {
        pthread_mutex_lock(&c->mu);
        c->cancelled = true;
        pthread_cond_broadcast(&c->cv);
        wake_locked(c);
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&d->mu);
}
