#include "common/status.h"

#include <stdarg.h>
#include <stdio.h>

cv_status cv_ok(void)
{
    cv_status s = {.code = CV_OK, .message = ""};
    return s;
}

cv_status cv_error(cv_code code, const char *fmt, ...)
{
    cv_status s;
    s.code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s.message, sizeof s.message, fmt, ap);
    va_end(ap);
    return s;
}

const char *cv_code_name(cv_code code)
{
    switch (code) {
    case CV_OK: return "OK";
    case CV_CANCELLED: return "CANCELLED";
    case CV_UNKNOWN: return "UNKNOWN";
    case CV_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case CV_DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case CV_NOT_FOUND: return "NOT_FOUND";
    case CV_ALREADY_EXISTS: return "ALREADY_EXISTS";
    case CV_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case CV_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case CV_UNIMPLEMENTED: return "UNIMPLEMENTED";
    case CV_INTERNAL: return "INTERNAL";
    case CV_UNAVAILABLE: return "UNAVAILABLE";
    }
    return "UNKNOWN";
}
