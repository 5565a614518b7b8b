/* The HTTP door of cosyvoice-server (--http-port): the reference CosyVoice
 * FastAPI routes (/inference_*), an OpenAI-compatible POST /v1/audio/speech
 * with GET /v1/models and /v1/audio/voices, and a web page at GET /.
 *
 * It is another way into the same server, not a second server: calls take
 * the same admission slots and queue as gRPC calls, pass the same
 * validation, get request ids and summary lines from the same code
 * (server/call_common.h), count in the same metrics, use the same TLS
 * certificate, and drain with them on SIGTERM. libmicrohttpd serves it from
 * its own polling thread; synthesis runs on the admission workers. */
#ifndef CV_HTTP_DOOR_H
#define CV_HTTP_DOOR_H

#include "server/server.h"

/* Most connections open at once (each costs a descriptor: the gRPC port's
 * limit leaves room for them, see server/fd_budget.h). */
#define HTTP_DOOR_MAX_CONNECTIONS 256

/* Listens on --host:--http-port. Returns 0, or -1 after logging why. */
int http_door_start(server_ctx *s);

/* The end of the grace period: cancels every HTTP call still running. */
void http_door_cancel_all(void);

/* Cancels what is left, closes the port and every connection; after it no
 * request reaches admission, so it runs before the workers are stopped. */
void http_door_stop(void);

#endif
