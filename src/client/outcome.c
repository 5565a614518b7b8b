#include "client/outcome.h"

#include <grpc/status.h>
#include <stdio.h>

const char *outcome_code_name(int code)
{
    static const char *const names[] = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED",
    };
    if (code >= 0 && code < (int)(sizeof names / sizeof names[0]))
        return names[code];
    return "UNKNOWN_CODE";
}

/* Codes by which the server says "not this request": fixing the request (or
 * waiting for capacity) is up to the user, not the network. */
static int is_rejection(int code)
{
    switch (code) {
    case GRPC_STATUS_INVALID_ARGUMENT:
    case GRPC_STATUS_NOT_FOUND:
    case GRPC_STATUS_ALREADY_EXISTS:
    case GRPC_STATUS_PERMISSION_DENIED:
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
    case GRPC_STATUS_FAILED_PRECONDITION:
    case GRPC_STATUS_ABORTED:
    case GRPC_STATUS_OUT_OF_RANGE:
    case GRPC_STATUS_UNIMPLEMENTED:
    case GRPC_STATUS_UNAUTHENTICATED:
        return 1;
    default:
        return 0;
    }
}

int outcome_exit_code(int code, size_t chunks)
{
    if (code == GRPC_STATUS_OK)
        return EXIT_DONE;
    if (chunks > 0)
        return EXIT_PARTIAL;
    if (is_rejection(code))
        return EXIT_REJECTED;
    if (code == GRPC_STATUS_UNAVAILABLE || code == GRPC_STATUS_DEADLINE_EXCEEDED)
        return EXIT_TRANSPORT;
    return EXIT_INTERNAL;
}

void outcome_describe(int code, const char *details, const char *target, double timeout_s,
                      char *buf, size_t cap)
{
    const char *name = outcome_code_name(code);
    const char *d = details && *details ? details : "no details";
    switch (code) {
    case GRPC_STATUS_OK:
        snprintf(buf, cap, "done");
        break;
    case GRPC_STATUS_UNAVAILABLE:
        snprintf(buf, cap, "server at %s is unavailable (%s): %s", target, name, d);
        break;
    case GRPC_STATUS_DEADLINE_EXCEEDED:
        snprintf(buf, cap, "no complete answer from %s within the %g s deadline (%s); "
                 "raise --timeout for long texts", target, timeout_s, name);
        break;
    case GRPC_STATUS_RESOURCE_EXHAUSTED:
        snprintf(buf, cap, "server rejected the request: busy or over a limit (%s): %s", name, d);
        break;
    case GRPC_STATUS_UNIMPLEMENTED:
        snprintf(buf, cap, "server rejected the request: not supported by this server (%s): %s",
                 name, d);
        break;
    case GRPC_STATUS_CANCELLED:
        snprintf(buf, cap, "call cancelled (%s): %s", name, d);
        break;
    case GRPC_STATUS_INTERNAL:
    case GRPC_STATUS_UNKNOWN:
    case GRPC_STATUS_DATA_LOSS:
        snprintf(buf, cap, "server failed while handling the request (%s): %s", name, d);
        break;
    default:
        if (is_rejection(code))
            snprintf(buf, cap, "server rejected the request (%s): %s", name, d);
        else
            snprintf(buf, cap, "call failed (%s): %s", name, d);
        break;
    }
}
