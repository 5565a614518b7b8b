/* The gRPC server: one completion-queue thread drives every call's state
 * machine (it never synthesizes); a pool of --max-conc workers runs the
 * engine; each call's audio flows through a bounded chunk queue that pauses
 * synthesis when the client reads slowly. */
#ifndef CV_SERVER_H
#define CV_SERVER_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "engine/engine.h"
#include "engine/validate.h"
#include "server/admission.h"
#include "server/options.h"

/* Every completion-queue tag starts with its kind, so the loop can dispatch. */
typedef enum tag_kind {
    TAG_INFER_NEW,    /* a new Inference call arrived */
    TAG_INFER_CLOSE,  /* RECV_CLOSE_ON_SERVER: call over (cancelled or done) */
    TAG_INFER_SEND,   /* one audio chunk was handed to the transport */
    TAG_INFER_STATUS, /* final status sent */
    TAG_STREAM_NEW,   /* a new StreamInference call arrived */
    TAG_STREAM_RECV,  /* one of its messages (setup or text) arrived */
    TAG_HEALTH_NEW,   /* a new Health/Check or Health/Watch call arrived */
    TAG_HEALTH_OP,    /* a health reply or update was sent */
    TAG_HEALTH_CLOSE, /* a Watch call ended */
    TAG_UNKNOWN_NEW,  /* a call to a method this server does not have */
    TAG_UNKNOWN_DONE, /* its UNIMPLEMENTED answer went out */
    TAG_SHUTDOWN,     /* grpc_server_shutdown_and_notify finished */
} tag_kind;

typedef struct cq_tag {
    tag_kind kind;
    void *owner;
} cq_tag;

typedef struct server_ctx {
    server_options opt;
    tts_limits limits;
    engine *eng;
    int sample_rate;
    grpc_server *server;
    grpc_completion_queue *cq;
    void *m_infer;
    void *m_stream;
    void *m_health_check;
    void *m_health_watch;
    admission adm;
    atomic_int serving;   /* health: 1 SERVING, 0 NOT_SERVING */
    atomic_long call_seq; /* for generated request ids */
    atomic_int shutting_down; /* draining: refuse new calls, health NOT_SERVING */
    atomic_int live_calls;    /* Inference calls received and not yet freed */
    pthread_mutex_t live_mu;  /* guards live_list */
    struct infer_call *live_list; /* those calls, for infer_check_send_timeouts */
    bool grpc_shutdown_started; /* no new calls reach us: stop requesting them */
    atomic_int cq_closed;     /* the queue is shutting down: start no more operations */
} server_ctx;

/* Runs the server until a signal drains it; returns the exit code. */
int server_run(server_ctx *s);

/* Inference calls (call.c). */
void infer_request_next(server_ctx *s);
/* StreamInference calls: the same call, fed text by a RECV_MESSAGE loop. */
void stream_request_next(server_ctx *s);
void infer_handle(server_ctx *s, cq_tag *tag, bool ok);
void infer_run(admission_item *item, void *ctx); /* worker entry */
/* Are Inference calls still open (not yet freed)? The HTTP door's calls
 * are not counted here. */
bool infer_calls_open(server_ctx *s);
/* Cancels calls whose send has made no progress for --send-timeout s. */
void infer_check_send_timeouts(server_ctx *s);

/* Health checking (health.c). */
void health_request_next(server_ctx *s);
void health_handle(server_ctx *s, cq_tag *tag, bool ok);
/* Tells Watch callers the server is draining, and ends their streams. */
void health_notify_draining(server_ctx *s);

/* Calls to unknown methods: UNIMPLEMENTED at once (unknown_method.c). */
void unknown_request_next(server_ctx *s);
void unknown_handle(server_ctx *s, cq_tag *tag, bool ok);

#endif
