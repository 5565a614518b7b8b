/* The /metrics endpoint: libmicrohttpd with its own polling thread, so a
 * scrape never touches the gRPC completion-queue thread. Bounded like the
 * gRPC port: at most METRICS_MAX_CONNECTIONS connections, request headers
 * within --header-timeout however they trickle (http_guard.h), and its
 * error messages (a flood makes thousands) rate-limited in the log. */
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "server/http_guard.h"
#include "server/metrics.h"

static struct MHD_Daemon *g_daemon;
static http_guard *g_guard;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body,
                             size_t len, const char *type)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)cls, (void)version, (void)upload_data;
    if (!*req_cls) { /* first call of this request: its headers are in */
        static int seen;
        *req_cls = &seen;
        http_guard_headers_done(g_guard, conn);
    }
    if (*upload_data_size) { /* a request body: not ours to read */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, strdup("only GET\n"), 9, "text/plain");
    if (strcmp(url, "/metrics") != 0)
        return reply(conn, MHD_HTTP_NOT_FOUND, strdup("see /metrics\n"), 13, "text/plain");
    size_t len = 0;
    char *text = metrics_render(&len);
    if (!text)
        return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, strdup("render failed\n"), 14,
                     "text/plain");
    return reply(conn, MHD_HTTP_OK, text, len, "text/plain; version=0.0.4; charset=utf-8");
}

int metrics_start(const char *host, int port, double header_timeout)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int e = getaddrinfo(host, service, &hints, &ai);
    if (e != 0) {
        LOG_ERROR("metrics: cannot resolve --host %s: %s", host, gai_strerror(e));
        return -1;
    }
    g_guard = http_guard_new(header_timeout);
    if (!g_guard) {
        freeaddrinfo(ai);
        LOG_ERROR("metrics: cannot start the connection watchdog");
        return -1;
    }
    /* poll(), never select(): descriptors past FD_SETSIZE (1024) are normal
     * with many gRPC connections open (and poll, not epoll, as the HTTP
     * door: see src/http/http_door.c). */
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    unsigned timeout = header_timeout < 1 ? 1 : (unsigned)header_timeout;
    g_daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
                                MHD_OPTION_EXTERNAL_LOGGER, http_guard_mhd_logger, "metrics", /* first */
                                MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_MAX_CONNECTIONS,
                                MHD_OPTION_NOTIFY_CONNECTION, http_guard_on_connection, g_guard,
                                MHD_OPTION_NOTIFY_COMPLETED, http_guard_on_completed, g_guard,
                                MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!g_daemon) {
        http_guard_free(g_guard);
        g_guard = NULL;
        LOG_ERROR("metrics: cannot listen on %s:%d (address in use or not available)", host,
                  port);
        return -1;
    }
    LOG_INFO("metrics at http://%s:%d/metrics", host, port);
    return 0;
}

void metrics_stop(void)
{
    if (g_daemon)
        MHD_stop_daemon(g_daemon);
    g_daemon = NULL;
    http_guard_free(g_guard);
    g_guard = NULL;
}
