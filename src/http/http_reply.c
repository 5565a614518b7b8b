/* Replies of the HTTP door that are not audio: bodies held in memory, and
 * OpenAI-style JSON errors. Every reply carries the request's id. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_internal.h"

enum MHD_Result http_reply(http_req *r, struct MHD_Connection *conn, unsigned status,
                           const char *type, const void *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (r && r->request_id[0])
        MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    if (status == 429 || status == 503)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

unsigned http_status_for(cv_code code)
{
    switch (code) {
    case CV_OK: return 200;
    case CV_INVALID_ARGUMENT:
    case CV_FAILED_PRECONDITION: return 400;
    case CV_NOT_FOUND: return 404;
    case CV_RESOURCE_EXHAUSTED: return 429;
    case CV_UNIMPLEMENTED: return 501;
    case CV_UNAVAILABLE: return 503;
    case CV_DEADLINE_EXCEEDED: return 504;
    case CV_CANCELLED: return 499; /* the client went away: nobody reads it */
    default: return 500;
    }
}

static const char *error_type(unsigned status)
{
    if (status == 429)
        return "rate_limit_error";
    if (status >= 500)
        return "server_error";
    return "invalid_request_error";
}

enum MHD_Result http_reply_error(http_req *r, struct MHD_Connection *conn, unsigned status,
                                 const char *code, const char *param, const char *message)
{
    json_t *err = json_pack("{s:s, s:s, s:o, s:o}", "message", message, "type",
                            error_type(status), "param",
                            param && param[0] ? json_string(param) : json_null(), "code",
                            code ? json_string(code) : json_null());
    json_t *root = err ? json_pack("{s:o}", "error", err) : NULL;
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!text) /* a message that is not UTF-8 cannot be JSON: say so plainly */
        text = strdup("{\"error\":{\"message\":\"request refused\",\"type\":\"invalid_request_error\","
                      "\"param\":null,\"code\":null}}");
    if (!text)
        return MHD_NO;
    enum MHD_Result ret = http_reply(r, conn, status, "application/json", text, strlen(text));
    free(text);
    return ret;
}

enum MHD_Result http_reply_status(http_req *r, struct MHD_Connection *conn, const cv_status *st)
{
    unsigned status = http_status_for(st->code);
    const char *code;
    switch (st->code) {
    case CV_RESOURCE_EXHAUSTED: code = "server_busy"; break;
    case CV_UNAVAILABLE: code = "shutting_down"; break;
    case CV_FAILED_PRECONDITION: code = "mode_unsupported"; break;
    case CV_NOT_FOUND: code = "not_found"; break;
    default: code = NULL; break;
    }
    return http_reply_error(r, conn, status, code, NULL, st->message);
}
