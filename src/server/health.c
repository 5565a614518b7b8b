/* The standard grpc.health.v1 health service: SERVING while the engine is
 * loaded and the server accepts calls, NOT_SERVING while draining. The
 * overall server ("") and "cosyvoice.CosyVoice" are known services.
 *
 * Check answers once. Watch sends the current status, then an update when
 * draining starts, and ends the stream then (the server is going away).
 * Everything here runs on the completion-queue thread, so the list of
 * watchers needs no lock. */
#include <grpc/grpc.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "health.pb-c.h"
#include "server/server.h"
#include "wire/grpc_bytes.h"

typedef struct health_call {
    cq_tag t_new, t_op, t_close;
    bool watch;
    grpc_call *call;
    gpr_timespec deadline; /* written by gRPC when the call arrives */
    grpc_metadata_array md_in;
    grpc_byte_buffer *payload;
    grpc_byte_buffer *reply;
    grpc_slice details;
    int cancelled;
    int pending;      /* operations in flight */
    bool sending, final_pending, finished, closed;
    bool known;       /* asked about a service we serve */
    struct health_call *next;
} health_call;

static health_call *g_watchers;

static void health_free(health_call *h)
{
    if (h->payload)
        grpc_byte_buffer_destroy(h->payload);
    if (h->reply)
        grpc_byte_buffer_destroy(h->reply);
    grpc_slice_unref(h->details);
    grpc_metadata_array_destroy(&h->md_in);
    if (h->call)
        grpc_call_unref(h->call);
    free(h);
}

static void request_one(server_ctx *s, bool watch)
{
    health_call *h = calloc(1, sizeof *h);
    if (!h)
        return;
    h->watch = watch;
    h->t_new = (cq_tag){TAG_HEALTH_NEW, h};
    h->t_op = (cq_tag){TAG_HEALTH_OP, h};
    h->t_close = (cq_tag){TAG_HEALTH_CLOSE, h};
    h->details = grpc_empty_slice();
    grpc_metadata_array_init(&h->md_in);
    void *method = watch ? s->m_health_watch : s->m_health_check;
    if (grpc_server_request_registered_call(s->server, method, &h->call, &h->deadline,
                                            &h->md_in, &h->payload, s->cq, s->cq,
                                            &h->t_new) != GRPC_CALL_OK)
        health_free(h);
}

void health_request_next(server_ctx *s)
{
    request_one(s, false);
    request_one(s, true);
}

static grpc_byte_buffer *status_message(int serving_status)
{
    Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    resp.status = serving_status;
    uint8_t buf[16];
    size_t n = grpc__health__v1__health_check_response__pack(&resp, buf);
    return grpc_bytes_wrap(buf, n);
}

static int current_status(server_ctx *s, bool known)
{
    if (!known)
        return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
    return atomic_load(&s->serving)
               ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
               : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
}

/* Decodes the request; false if malformed. */
static bool parse_request(health_call *h)
{
    if (!h->payload)
        return false;
    size_t len;
    uint8_t *bytes = grpc_bytes_flatten(h->payload, &len);
    Grpc__Health__V1__HealthCheckRequest *req =
        bytes ? grpc__health__v1__health_check_request__unpack(NULL, len, bytes) : NULL;
    free(bytes);
    if (!req)
        return false;
    h->known = !req->service[0] || strcmp(req->service, "cosyvoice.CosyVoice") == 0;
    grpc__health__v1__health_check_request__free_unpacked(req, NULL);
    return true;
}

static void start(server_ctx *s, health_call *h, grpc_op *ops, size_t n, cq_tag *tag)
{
    if (atomic_load(&s->cq_closed)) { /* shutting down: the call just ends */
        h->closed = true;
        return;
    }
    h->pending++;
    if (grpc_call_start_batch(h->call, ops, n, tag, NULL) != GRPC_CALL_OK) {
        LOG_ERROR("health: start_batch failed");
        h->pending--;
        h->closed = true;
    }
}

static void check_reply(server_ctx *s, health_call *h)
{
    grpc_status_code code = GRPC_STATUS_OK;
    const char *msg = NULL;
    if (!parse_request(h)) {
        code = GRPC_STATUS_INVALID_ARGUMENT;
        msg = "malformed HealthCheckRequest";
    } else if (!h->known) {
        code = GRPC_STATUS_NOT_FOUND;
        msg = "unknown service (known: \"\" and \"cosyvoice.CosyVoice\")";
    } else {
        h->reply = status_message(current_status(s, true));
    }
    grpc_op ops[4];
    memset(ops, 0, sizeof ops);
    size_t n = 0;
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    if (h->reply) {
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = h->reply;
    }
    if (msg)
        h->details = grpc_slice_from_static_string(msg);
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = code;
    ops[n++].data.send_status_from_server.status_details = msg ? &h->details : NULL;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n++].data.recv_close_on_server.cancelled = &h->cancelled;
    h->closed = true; /* one batch does it all */
    start(s, h, ops, n, &h->t_op);
}

/* Sends the watcher's last update and ends its stream. */
static void watch_finish(server_ctx *s, health_call *h)
{
    if (h->reply)
        grpc_byte_buffer_destroy(h->reply);
    h->reply = status_message(current_status(s, h->known));
    grpc_op ops[2];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_MESSAGE;
    ops[0].data.send_message.send_message = h->reply;
    ops[1].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[1].data.send_status_from_server.status = GRPC_STATUS_OK;
    h->finished = true;
    h->sending = true;
    start(s, h, ops, 2, &h->t_op);
}

static void watch_start(server_ctx *s, health_call *h)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = &h->cancelled;
    start(s, h, &op, 1, &h->t_close);
    if (!parse_request(h)) {
        grpc_op ops[2];
        memset(ops, 0, sizeof ops);
        ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[1].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
        ops[1].data.send_status_from_server.status = GRPC_STATUS_INVALID_ARGUMENT;
        h->details = grpc_slice_from_static_string("malformed HealthCheckRequest");
        ops[1].data.send_status_from_server.status_details = &h->details;
        h->finished = true;
        start(s, h, ops, 2, &h->t_op);
        return;
    }
    h->reply = status_message(current_status(s, h->known));
    /* Draining already: the current status is also the last one, so it
     * goes out once, with the end of the stream. */
    bool draining = atomic_load(&s->shutting_down);
    grpc_op ops[3];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = h->reply;
    ops[2].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[2].data.send_status_from_server.status = GRPC_STATUS_OK;
    h->sending = true;
    h->finished = draining;
    start(s, h, ops, draining ? 3 : 2, &h->t_op);
    if (!draining) {
        h->next = g_watchers;
        g_watchers = h;
    }
}

static void unlink_watcher(health_call *h)
{
    for (health_call **pp = &g_watchers; *pp; pp = &(*pp)->next)
        if (*pp == h) {
            *pp = h->next;
            return;
        }
}

void health_notify_draining(server_ctx *s)
{
    for (health_call *h = g_watchers; h; h = h->next) {
        if (h->closed || h->finished)
            continue;
        if (h->sending)
            h->final_pending = true;
        else
            watch_finish(s, h);
    }
}

void health_handle(server_ctx *s, cq_tag *tag, bool ok)
{
    health_call *h = tag->owner;
    switch (tag->kind) {
    case TAG_HEALTH_NEW:
        if (!ok) {
            health_free(h);
            return;
        }
        request_one(s, h->watch);
        if (h->watch)
            watch_start(s, h);
        else
            check_reply(s, h);
        break;
    case TAG_HEALTH_OP:
        h->pending--;
        h->sending = false;
        if (!ok)
            h->closed = true;
        if (h->final_pending && !h->closed && !h->finished)
            watch_finish(s, h);
        break;
    case TAG_HEALTH_CLOSE:
        h->pending--;
        h->closed = true;
        break;
    default:
        return;
    }
    if (h->closed && h->pending == 0) {
        if (h->watch)
            unlink_watcher(h);
        health_free(h);
    }
}
