/* What a finished call means for the user: the process exit code and a
 * one-line explanation of the gRPC status. */
#ifndef CV_CLIENT_OUTCOME_H
#define CV_CLIENT_OUTCOME_H

#include <stddef.h>

/* Documented exit codes (also in --help). */
enum {
    EXIT_DONE = 0,      /* all audio received */
    EXIT_INTERNAL = 1,  /* local failure, malformed reply, server INTERNAL/UNKNOWN */
    EXIT_USAGE = 2,     /* bad arguments, unreadable prompt file */
    EXIT_REJECTED = 3,  /* server refused the request */
    EXIT_TRANSPORT = 4, /* unreachable / deadline before any audio */
    EXIT_PARTIAL = 5,   /* stream broke after audio started */
};

/* Exit code for a call that ended with gRPC status code `code` (a
 * grpc_status_code value) after `chunks` audio chunks were received. */
int outcome_exit_code(int code, size_t chunks);

/* Writes a one-line message (no newline) explaining the status, e.g.
 * "server rejected the request (INVALID_ARGUMENT): unknown speaker". */
void outcome_describe(int code, const char *details, const char *target, double timeout_s,
                      char *buf, size_t cap);

/* "INVALID_ARGUMENT" etc. for every gRPC code; "CODE_<n>" for others. */
const char *outcome_code_name(int code);

#endif
