/* The standard grpc.health.v1.Health/Check method: SERVING while the engine
 * is loaded and the server accepts calls, NOT_SERVING while draining. The
 * overall server ("") and "cosyvoice.CosyVoice" are known services. */
#include <grpc/grpc.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "health.pb-c.h"
#include "server/server.h"
#include "wire/grpc_bytes.h"

typedef struct health_call {
    cq_tag t_new, t_done;
    grpc_call *call;
    gpr_timespec deadline; /* written by gRPC when the call arrives */
    grpc_metadata_array md_in;
    grpc_byte_buffer *payload;
    grpc_byte_buffer *reply;
    grpc_slice details;
    int cancelled;
} health_call;

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

void health_request_next(server_ctx *s)
{
    health_call *h = calloc(1, sizeof *h);
    if (!h)
        return;
    h->t_new = (cq_tag){TAG_HEALTH_NEW, h};
    h->t_done = (cq_tag){TAG_HEALTH_DONE, h};
    h->details = grpc_empty_slice();
    grpc_metadata_array_init(&h->md_in);
    if (grpc_server_request_registered_call(s->server, s->m_health_check, &h->call, &h->deadline,
                                            &h->md_in, &h->payload, s->cq, s->cq,
                                            &h->t_new) != GRPC_CALL_OK)
        health_free(h);
}

static void health_reply(server_ctx *s, health_call *h)
{
    grpc_status_code code = GRPC_STATUS_OK;
    const char *msg = NULL;
    Grpc__Health__V1__HealthCheckRequest *req = NULL;
    if (h->payload) {
        size_t len;
        uint8_t *bytes = grpc_bytes_flatten(h->payload, &len);
        if (bytes)
            req = grpc__health__v1__health_check_request__unpack(NULL, len, bytes);
        free(bytes);
    }
    if (!req) {
        code = GRPC_STATUS_INVALID_ARGUMENT;
        msg = "malformed HealthCheckRequest";
    } else if (req->service[0] && strcmp(req->service, "cosyvoice.CosyVoice") != 0) {
        code = GRPC_STATUS_NOT_FOUND;
        msg = "unknown service (known: \"\" and \"cosyvoice.CosyVoice\")";
    } else {
        Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
        resp.status = atomic_load(&s->serving)
                          ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                          : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
        uint8_t buf[16];
        size_t n = grpc__health__v1__health_check_response__pack(&resp, buf);
        h->reply = grpc_bytes_wrap(buf, n);
    }
    if (req)
        grpc__health__v1__health_check_request__free_unpacked(req, NULL);

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
    if (grpc_call_start_batch(h->call, ops, n, &h->t_done, NULL) != GRPC_CALL_OK) {
        LOG_ERROR("health: start_batch failed");
        health_free(h);
    }
}

void health_handle(server_ctx *s, cq_tag *tag, bool ok)
{
    health_call *h = tag->owner;
    if (tag->kind == TAG_HEALTH_NEW) {
        if (!ok) {
            health_free(h);
            return;
        }
        if (!atomic_load(&s->shutting_down))
            health_request_next(s);
        health_reply(s, h);
        return;
    }
    health_free(h); /* TAG_HEALTH_DONE */
}
