/* Calls to methods this server does not have, answered UNIMPLEMENTED at
 * once.
 *
 * gRPC core hands a call to an unregistered method only to the
 * application's grpc_server_request_call(); until one is posted it keeps
 * the call (and its memory) queued, and the client waits for its deadline.
 * So a few requests are always posted here, as for the registered methods,
 * and every call that matches one is ended with UNIMPLEMENTED, its request
 * message unread. Everything runs on the completion-queue thread. */
#include <grpc/grpc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/server.h"

typedef struct unknown_call {
    cq_tag t_new, t_done;
    grpc_call *call;
    grpc_call_details details;
    grpc_metadata_array md_in;
    grpc_slice status_details;
    int cancelled;
} unknown_call;

static void unknown_free(unknown_call *u)
{
    grpc_slice_unref(u->status_details);
    grpc_metadata_array_destroy(&u->md_in);
    grpc_call_details_destroy(&u->details);
    if (u->call)
        grpc_call_unref(u->call);
    free(u);
}

void unknown_request_next(server_ctx *s)
{
    unknown_call *u = calloc(1, sizeof *u);
    if (!u)
        return;
    u->t_new = (cq_tag){TAG_UNKNOWN_NEW, u};
    u->t_done = (cq_tag){TAG_UNKNOWN_DONE, u};
    u->status_details = grpc_empty_slice();
    grpc_call_details_init(&u->details);
    grpc_metadata_array_init(&u->md_in);
    if (grpc_server_request_call(s->server, &u->call, &u->details, &u->md_in, s->cq, s->cq,
                                 &u->t_new) != GRPC_CALL_OK)
        unknown_free(u);
}

static void answer(server_ctx *s, unknown_call *u)
{
    char msg[400];
    int n = (int)GRPC_SLICE_LENGTH(u->details.method);
    if (n > 200)
        n = 200;
    snprintf(msg, sizeof msg,
             "unknown method '%.*s': this server implements /cosyvoice.CosyVoice/Inference "
             "and /grpc.health.v1.Health/Check and /Watch",
             n, (const char *)GRPC_SLICE_START_PTR(u->details.method));
    LOG_DEBUG("%s", msg);
    u->status_details = grpc_slice_from_copied_string(msg);
    grpc_op ops[3];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[1].data.send_status_from_server.status = GRPC_STATUS_UNIMPLEMENTED;
    ops[1].data.send_status_from_server.status_details = &u->status_details;
    ops[2].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[2].data.recv_close_on_server.cancelled = &u->cancelled;
    if (atomic_load(&s->cq_closed) ||
        grpc_call_start_batch(u->call, ops, 3, &u->t_done, NULL) != GRPC_CALL_OK)
        unknown_free(u);
}

void unknown_handle(server_ctx *s, cq_tag *tag, bool ok)
{
    unknown_call *u = tag->owner;
    if (tag->kind == TAG_UNKNOWN_NEW && ok) {
        if (!s->grpc_shutdown_started)
            unknown_request_next(s);
        answer(s, u);
        return;
    }
    /* The answer went out (or the server shut down before a call came). */
    unknown_free(u);
}
