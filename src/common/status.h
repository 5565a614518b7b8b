/* One small error type used across the project: a gRPC status code and a
 * message a person can act on. Engines and validators return it; the server
 * turns it into the call's final status at the edge. The codes mirror
 * grpc_status_code so no layer below the server needs gRPC headers. */
#ifndef CV_STATUS_H
#define CV_STATUS_H

#include <stdbool.h>

typedef enum cv_code {
    CV_OK = 0,
    CV_CANCELLED = 1,
    CV_UNKNOWN = 2,
    CV_INVALID_ARGUMENT = 3,
    CV_DEADLINE_EXCEEDED = 4,
    CV_NOT_FOUND = 5,
    CV_ALREADY_EXISTS = 6,
    CV_RESOURCE_EXHAUSTED = 8,
    CV_FAILED_PRECONDITION = 9,
    CV_UNIMPLEMENTED = 12,
    CV_INTERNAL = 13,
    CV_UNAVAILABLE = 14,
} cv_code;

#define CV_STATUS_MSG_MAX 512

typedef struct cv_status {
    cv_code code;
    char message[CV_STATUS_MSG_MAX];
} cv_status;

cv_status cv_ok(void);
cv_status cv_error(cv_code code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline bool cv_is_ok(const cv_status *s) { return s->code == CV_OK; }
/* Upper-case name of a code, as gRPC spells it ("INVALID_ARGUMENT"). */
const char *cv_code_name(cv_code code);

#endif
