/* The steps every synthesis call takes, whichever door it came in by (the
 * gRPC Inference method or the HTTP routes in src/http): choosing its
 * request id, the acceptance checks before admission, admission with its
 * refusal message, the worker's engine run, and the one summary line and
 * metrics observation when it ends. Each door keeps only what is its own:
 * how requests are decoded and how audio leaves. */
#ifndef CV_CALL_COMMON_H
#define CV_CALL_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "common/status.h"
#include "engine/engine.h"
#include "server/server.h"

#define CALL_ID_MAX 80

/* What a call has produced so far; written by the worker through the sink. */
typedef struct call_stats {
    double t_start, t_first; /* arrival; first chunk (0 until then) */
    size_t samples;
    unsigned chunks;
    size_t text_chars; /* streamed text (StreamInference): characters received */
} call_stats;

/* Starts a call: its arrival time, and one more live call for the drain to
 * wait for (call_end undoes it). */
void call_begin(server_ctx *s, call_stats *st);
void call_end(server_ctx *s, const call_stats *st);

/* The client's id (printable ASCII, 1-64 bytes, not NUL-terminated: given,n)
 * if it is acceptable, else one made from the process id and a counter. */
void call_request_id(server_ctx *s, const char *given, size_t n, char out[CALL_ID_MAX]);

/* Everything checked before a call may wait for a slot: the request rules
 * (validate.c), the loaded engine's own acceptance, and draining. */
cv_status call_accept(server_ctx *s, const tts_request *req);

/* Queues the call for a synthesis slot. RESOURCE_EXHAUSTED (naming the
 * limits) when running and waiting calls are at their limits, UNAVAILABLE
 * while draining. */
cv_status call_admit(server_ctx *s, admission_item *it);

/* The worker's part: runs the engine unless the call is already cancelled;
 * a cancelled call never reports OK; engine failures are logged with the
 * request id. */
cv_status call_synthesize(server_ctx *s, const tts_request *req, tts_sink *sink,
                          const char *request_id);

/* Counts n samples of one chunk. */
void call_stats_chunk(call_stats *st, size_t n);

/* The summary line of a finished call and its metrics observation. */
void call_log(server_ctx *s, const char *request_id, const tts_request *req,
              const call_stats *st, const cv_status *final);

#endif
