/* What the files of the HTTP door share: the door itself, one request's
 * state while libmicrohttpd delivers it, and the replies. */
#ifndef CV_HTTP_INTERNAL_H
#define CV_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "http/form_fields.h"
#include "server/call_common.h"
#include "server/server.h"

typedef struct http_call http_call;

typedef struct http_door {
    server_ctx *srv;
    struct MHD_Daemon *daemon;
    struct http_guard *guard; /* request headers within --header-timeout */
    pthread_mutex_t mu;   /* guards the list of calls */
    http_call *calls;     /* every call whose request is not over */
    pthread_t watch;      /* notices clients that went away (http_call.c) */
    bool watching, stopping;
    pthread_cond_t watch_cv;
} http_door;

typedef enum http_route {
    ROUTE_NONE = 0,
    ROUTE_ASSET,    /* GET / and the page's files */
    ROUTE_HEALTH,   /* GET /health */
    ROUTE_MODELS,   /* GET /v1/models */
    ROUTE_VOICES,   /* GET /v1/audio/voices */
    ROUTE_SPEECH,   /* POST /v1/audio/speech */
    ROUTE_INFER,    /* GET|POST /inference_<mode> */
} http_route;

/* The reference routes' modes: the four of the wire contract plus
 * CosyVoice2's instruct2 (instruction + prompt recording). */
#define INFER_MODE_INSTRUCT2 TTS_MODE_COUNT

/* One request, from its headers to the end of its response. */
typedef struct http_req {
    http_door *door;
    http_route route;
    int infer_mode;        /* ROUTE_INFER: a tts_mode or INFER_MODE_INSTRUCT2 */
    char request_id[CALL_ID_MAX];
    size_t body_bytes;
    bool too_large;        /* body beyond --max-request-bytes: 413 at the end */
    struct MHD_PostProcessor *pp;
    form_fields form;
    bool form_broken;      /* the post processor refused the body */
    char *json;            /* ROUTE_SPEECH body */
    size_t json_len, json_cap;
    http_call *call;       /* once the request is admitted */
} http_req;

/* ------------------------------------------------------------ replies */

/* Queues a reply whose body is copied. */
enum MHD_Result http_reply(http_req *r, struct MHD_Connection *conn, unsigned status,
                           const char *type, const void *body, size_t len);

/* An OpenAI-style error: {"error": {"message", "type", "param", "code"}}.
 * code NULL picks one from the status; param may be NULL. 429 and 503 carry
 * Retry-After. */
enum MHD_Result http_reply_error(http_req *r, struct MHD_Connection *conn, unsigned status,
                                 const char *code, const char *param, const char *message);

/* The HTTP status for a call's status code (INVALID_ARGUMENT 400, ...). */
unsigned http_status_for(cv_code code);

/* An error reply for a call status. */
enum MHD_Result http_reply_status(http_req *r, struct MHD_Connection *conn,
                                  const cv_status *st);

/* --------------------------------------------------- routes (http_routes.c) */

enum MHD_Result http_serve_asset(http_req *r, struct MHD_Connection *conn, const char *url);
enum MHD_Result http_serve_models(http_req *r, struct MHD_Connection *conn);
enum MHD_Result http_serve_voices(http_req *r, struct MHD_Connection *conn);
/* The request is complete: build it, check it, admit it. */
enum MHD_Result http_start_speech(http_req *r, struct MHD_Connection *conn);
enum MHD_Result http_start_infer(http_req *r, struct MHD_Connection *conn);

/* ------------------------------------------ streamed calls (http_call.c) */

typedef struct http_call_spec {
    tts_request req;        /* strings and prompt owned by the call from now on */
    char *owned[5];         /* strings to free with the call */
    int16_t *prompt;
    int format;             /* audio_format */
    int out_rate;           /* 0: the engine's */
    bool sse;
} http_call_spec;

/* Creates the call, takes ownership of spec's memory, admits it and
 * suspends the connection until audio or an error exists. On refusal
 * queues the error reply itself. */
enum MHD_Result http_call_start(http_req *r, struct MHD_Connection *conn, http_call_spec *spec);
/* Refuses a request that never reached admission: logged and counted like
 * every call, then answered with an error reply (status 0: the one for
 * st's code; code and param may be NULL). */
enum MHD_Result http_call_reject(http_req *r, struct MHD_Connection *conn,
                                 const tts_request *req, const cv_status *st, unsigned status,
                                 const char *code, const char *param);
/* The access handler runs again for an admitted request (after a resume). */
enum MHD_Result http_call_resumed(http_req *r, struct MHD_Connection *conn);
/* The request is over (sent, or the client went away). */
void http_call_request_done(http_call *c, bool completed_ok);
void http_call_watch_start(http_door *d);
void http_call_watch_stop(http_door *d);
/* Cancels every call; resumes suspended connections so they can close. */
void http_call_cancel_all(http_door *d);

#endif
