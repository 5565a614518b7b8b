/* The HTTP door's daemon and access handler: routing, request bodies
 * (bounded by --max-request-bytes), and the hand-over to the routes. */
#include "http/http_door.h"

#include <gnutls/gnutls.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/grow_buf.h"
#include "common/log.h"
#include "http/http_internal.h"
#include "server/http_guard.h"
#include "server/tls.h"

static http_door g_door = {.mu = PTHREAD_MUTEX_INITIALIZER,
                           .watch_cv = PTHREAD_COND_INITIALIZER};

static const char *const g_infer_routes[] = {
    [TTS_MODE_SFT] = "/inference_sft",
    [TTS_MODE_ZERO_SHOT] = "/inference_zero_shot",
    [TTS_MODE_CROSS_LINGUAL] = "/inference_cross_lingual",
    [TTS_MODE_INSTRUCT] = "/inference_instruct",
    [INFER_MODE_INSTRUCT2] = "/inference_instruct2",
};

static bool is_get(const char *m) { return !strcmp(m, "GET") || !strcmp(m, "HEAD"); }

/* The route of method + url; *allowed false when the path exists but not
 * for this method. */
static http_route classify(const char *method, const char *url, int *mode, bool *allowed)
{
    *allowed = true;
    for (int i = 0; i <= INFER_MODE_INSTRUCT2; i++)
        if (strcmp(url, g_infer_routes[i]) == 0) {
            *mode = i;
            *allowed = is_get(method) || !strcmp(method, "POST");
            return ROUTE_INFER;
        }
    http_route r = ROUTE_NONE;
    bool post = false;
    if (!strcmp(url, "/v1/audio/speech"))
        r = ROUTE_SPEECH, post = true;
    else if (!strcmp(url, "/v1/models"))
        r = ROUTE_MODELS;
    else if (!strcmp(url, "/v1/audio/voices"))
        r = ROUTE_VOICES;
    else if (!strcmp(url, "/health"))
        r = ROUTE_HEALTH;
    else if (url[0] == '/' && !strstr(url, ".."))
        r = ROUTE_ASSET; /* the page's files, or 404 */
    if (r != ROUTE_NONE)
        *allowed = post ? !strcmp(method, "POST") : is_get(method);
    return r;
}

static enum MHD_Result add_query_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    if (value)
        form_fields_add(cls, key, value, 0, strlen(value));
    return MHD_YES;
}

/* With --tls-client-ca, libmicrohttpd asks for a client certificate but
 * leaves its verification to the application: a request without one the
 * CA signed is refused (as the gRPC port refuses the handshake). */
static bool client_cert_ok(struct MHD_Connection *conn)
{
    const char *cert, *key, *ca;
    server_tls_pem(&cert, &key, &ca);
    if (!ca)
        return true;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return false;
    gnutls_session_t session = (gnutls_session_t)ci->tls_session;
    unsigned n = 0, status = 0;
    if (!gnutls_certificate_get_peers(session, &n) || n == 0)
        return false;
    return gnutls_certificate_verify_peers2(session, &status) == GNUTLS_E_SUCCESS && status == 0;
}

/* First call for a request: its headers are in. Returns MHD_YES to read
 * the body, or the result of an early reply. */
static enum MHD_Result on_headers(http_req *r, struct MHD_Connection *conn, const char *method,
                                  const char *url)
{
    server_ctx *s = r->door->srv;
    const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    call_request_id(s, rid, rid ? strlen(rid) : 0, r->request_id);
    if (!client_cert_ok(conn))
        return http_reply_error(r, conn, 403, "client_certificate_required", NULL,
                                "this server requires a client certificate signed by its "
                                "--tls-client-ca");
    bool allowed;
    r->route = classify(method, url, &r->infer_mode, &allowed);
    if (r->route == ROUTE_NONE)
        return http_reply_error(r, conn, 404, "not_found", NULL, "no such route; see GET /");
    if (!allowed) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s does not take %s (use %s)", url, method,
                 r->route == ROUTE_SPEECH ? "POST" : r->route == ROUTE_INFER ? "GET or POST"
                                                                             : "GET");
        return http_reply_error(r, conn, 405, "method_not_allowed", NULL, msg);
    }
    switch (r->route) {
    case ROUTE_ASSET: return http_serve_asset(r, conn, url);
    case ROUTE_MODELS: return http_serve_models(r, conn);
    case ROUTE_VOICES: return http_serve_voices(r, conn);
    case ROUTE_HEALTH: {
        bool up = atomic_load(&s->serving) && !atomic_load(&s->shutting_down);
        const char *body = up ? "{\"status\":\"SERVING\"}" : "{\"status\":\"NOT_SERVING\"}";
        return http_reply(r, conn, up ? 200 : 503, "application/json", body, strlen(body));
    }
    default: break;
    }
    /* A declared body beyond the limit is refused before it is sent (a
     * client that asked for 100-continue never sends it). */
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > s->opt.max_request_bytes) {
        char msg[160];
        snprintf(msg, sizeof msg, "the request body is %s bytes; the limit is %zu "
                 "(--max-request-bytes)", cl, s->opt.max_request_bytes);
        return http_reply_error(r, conn, 413, "request_too_large", NULL, msg);
    }
    if (r->route == ROUTE_INFER) {
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_query_field, &r->form);
        const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_TYPE);
        if (ct) /* NULL for types it cannot parse: a body then is refused */
            r->pp = MHD_create_post_processor(conn, 16384, form_fields_iterate, &r->form);
    }
    return MHD_YES;
}

static void on_body(http_req *r, const char *data, size_t n)
{
    server_ctx *s = r->door->srv;
    r->body_bytes += n;
    if (r->too_large || r->body_bytes > s->opt.max_request_bytes) {
        r->too_large = true; /* read and dropped; 413 at the end */
        return;
    }
    if (r->route == ROUTE_SPEECH) {
        if (!grow_buf_append(&r->json, &r->json_len, &r->json_cap, data, n))
            r->form_broken = true;
    } else if (!r->pp) {
        r->form_broken = true; /* a body that is not a form */
    } else if (MHD_post_process(r->pp, data, n) != MHD_YES) {
        r->form_broken = true;
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)version;
    http_req *r = *req_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->door = cls;
        *req_cls = r;
        http_guard_headers_done(r->door->guard, conn);
        return on_headers(r, conn, method, url);
    }
    if (r->call)
        return http_call_resumed(r, conn);
    if (*upload_data_size) {
        if (!r->form_broken)
            on_body(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->too_large) {
        char msg[160];
        snprintf(msg, sizeof msg, "the request body is over the limit of %zu bytes "
                 "(--max-request-bytes)", r->door->srv->opt.max_request_bytes);
        return http_reply_error(r, conn, 413, "request_too_large", NULL, msg);
    }
    if (r->form_broken) {
        const char *msg = r->route == ROUTE_SPEECH
            ? "out of memory reading the body"
            : "the body is not a well-formed form: send multipart/form-data (with the "
              "prompt_wav file) or application/x-www-form-urlencoded";
        return http_reply_error(r, conn, r->route == ROUTE_SPEECH ? 500 : 400, "invalid_body",
                                NULL, msg);
    }
    if (r->pp && MHD_destroy_post_processor(r->pp) != MHD_YES) {
        r->pp = NULL; /* the body ended inside a part */
        return http_reply_error(r, conn, 400, "invalid_body", NULL,
                                "the multipart body ends in the middle of a part");
    }
    r->pp = NULL;
    return r->route == ROUTE_SPEECH ? http_start_speech(r, conn) : http_start_infer(r, conn);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_door *d = cls;
    http_guard_on_completed(d->guard, conn, req_cls, toe);
    http_req *r = *req_cls;
    if (!r)
        return;
    if (r->call)
        http_call_request_done(r->call, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    if (r->pp)
        MHD_destroy_post_processor(r->pp);
    form_fields_free(&r->form);
    free(r->json);
    free(r);
    *req_cls = NULL;
}

int http_door_start(server_ctx *s)
{
    http_door *d = &g_door;
    d->srv = s;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char service[16];
    snprintf(service, sizeof service, "%d", s->opt.http_port);
    int e = getaddrinfo(s->opt.host, service, &hints, &ai);
    if (e != 0) {
        LOG_ERROR("http: cannot resolve --host %s: %s", s->opt.host, gai_strerror(e));
        return -1;
    }
    /* poll(), not epoll: with epoll, libmicrohttpd 0.9.75 now and then
     * misses the wake-up of a resumed connection until its next timeout
     * (found by fuzz_http: answers stalled 10-20 s); with poll it never did. */
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    const char *cert = NULL, *key = NULL, *ca = NULL;
    server_tls_pem(&cert, &key, &ca);
    if (cert)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls_opts[] = {
        {cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key},
        {ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, (void *)ca},
        {MHD_OPTION_END, 0, NULL},
    };
    /* Connections are bounded (each costs a descriptor); one that sends
     * nothing for 60 s is closed (a suspended one, waiting for audio, is
     * not timed out: libmicrohttpd stops its clock while suspended), and
     * one whose request headers are not in within --header-timeout,
     * however it trickles them (http_guard.h). */
    d->guard = http_guard_new(s->opt.header_timeout);
    if (!d->guard) {
        freeaddrinfo(ai);
        LOG_ERROR("http: cannot start the connection watchdog");
        return -1;
    }
    d->daemon = MHD_start_daemon(flags, (uint16_t)s->opt.http_port, NULL, NULL, on_request, d,
                                 MHD_OPTION_EXTERNAL_LOGGER, http_guard_mhd_logger, "http",
                                 MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, d,
                                 MHD_OPTION_NOTIFY_CONNECTION, http_guard_on_connection, d->guard,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_DOOR_MAX_CONNECTIONS,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
                                 MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!d->daemon) {
        http_guard_free(d->guard);
        d->guard = NULL;
        LOG_ERROR("http: cannot listen on %s:%d (address in use or not available%s)",
                  s->opt.host, s->opt.http_port,
                  cert ? ", or libmicrohttpd lacks TLS support" : "");
        return -1;
    }
    http_call_watch_start(d);
    LOG_INFO("http on %s://%s:%d/ (OpenAI-compatible /v1/audio/speech, CosyVoice /inference_*)",
             cert ? "https" : "http", s->opt.host, s->opt.http_port);
    return 0;
}

void http_door_cancel_all(void)
{
    if (g_door.daemon)
        http_call_cancel_all(&g_door);
}

void http_door_stop(void)
{
    http_door *d = &g_door;
    if (!d->daemon)
        return;
    http_call_cancel_all(d);
    http_call_watch_stop(d);
    MHD_stop_daemon(d->daemon);
    d->daemon = NULL;
    http_guard_free(d->guard);
    d->guard = NULL;
}
