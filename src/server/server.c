/* Server setup, the completion-queue loop, and graceful shutdown.
 *
 * Shutdown: the first SIGTERM/SIGINT starts draining: health turns
 * NOT_SERVING and new Inference calls are refused with UNAVAILABLE (so a
 * load balancer moves traffic elsewhere) while calls in flight continue.
 * When none are left, or --grace seconds have passed (then the rest are
 * cancelled), the gRPC server shuts down and the process exits 0. A second
 * signal exits at once. */
#include "server/server.h"

#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "server/conn_limit.h"
#include "server/fd_budget.h"
#include "http/http_door.h"
#include "server/metrics.h"
#include "server/service_notify.h"
#include "server/tls.h"

static atomic_int g_signals;

/* Async-signal-safe: counts signals; the loop polls the count. A handler
 * (not sigwait) because threads made before main (a library's pool, for
 * one) would otherwise receive the signal with its default action. */
static void on_signal(int sig)
{
    (void)sig;
    if (atomic_fetch_add(&g_signals, 1) >= 1) {
        static const char msg[] = "second signal: exiting now\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(1);
    }
}

void server_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* At most this many calls open on one connection (gRPC's default is
 * unbounded): calls that never send their request message each hold
 * memory until their deadline, which may be never. */
#define MAX_STREAMS_PER_CONNECTION 100

static int start_grpc(server_ctx *s)
{
    grpc_arg args[6];
    int n = 0;
    args[n].type = GRPC_ARG_INTEGER;
    args[n].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[n++].value.integer = (int)s->opt.max_request_bytes;
    args[n].type = GRPC_ARG_INTEGER;
    args[n].key = GRPC_ARG_ALLOW_REUSEPORT;
    args[n++].value.integer = 0; /* a busy port is an error, not a silent share */
    /* A deadline set when the connection is accepted: the TLS handshake
     * and HTTP/2 preface must be done by then, however slowly they come. */
    args[n].type = GRPC_ARG_INTEGER;
    args[n].key = GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS;
    args[n++].value.integer = (int)(s->opt.header_timeout * 1000);
    args[n].type = GRPC_ARG_INTEGER;
    args[n].key = GRPC_ARG_MAX_CONCURRENT_STREAMS;
    args[n++].value.integer = MAX_STREAMS_PER_CONNECTION;
    if (s->opt.idle_timeout > 0) { /* no call for that long (pings do not count): GOAWAY */
        args[n].type = GRPC_ARG_INTEGER;
        args[n].key = GRPC_ARG_MAX_CONNECTION_IDLE_MS;
        args[n++].value.integer = (int)(s->opt.idle_timeout * 1000 < 2e9 ? s->opt.idle_timeout * 1000 : 2e9);
    }
    grpc_channel_args ch = {(size_t)n, args};
    s->server = grpc_server_create(&ch, NULL);
    s->cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(s->server, s->cq, NULL);
    s->m_infer = grpc_server_register_method(s->server, "/cosyvoice.CosyVoice/Inference", NULL,
                                             GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    s->m_stream = grpc_server_register_method(s->server, "/cosyvoice.CosyVoice/StreamInference",
                                              NULL, GRPC_SRM_PAYLOAD_NONE, 0);
    s->m_health_check = grpc_server_register_method(
        s->server, "/grpc.health.v1.Health/Check", NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER,
        0);
    s->m_health_watch = grpc_server_register_method(
        s->server, "/grpc.health.v1.Health/Watch", NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER,
        0);
    char addr[300];
    snprintf(addr, sizeof addr, "%s:%d", s->opt.host, s->opt.port);
    grpc_server_credentials *creds = server_tls_credentials();
    int port = grpc_server_add_http2_port(s->server, addr, creds);
    grpc_server_credentials_release(creds);
    if (port <= 0) {
        LOG_ERROR("cannot listen on %s (address in use or not available%s)", addr,
                  server_tls_enabled() ? ", or the TLS key does not match the certificate" : "");
        return -1;
    }
    s->opt.port = port;
    /* The connection limit, fitted to the descriptors left (see fd_budget.h). */
    int other = (s->opt.metrics_port ? METRICS_MAX_CONNECTIONS : 0) +
                (s->opt.http_port ? HTTP_DOOR_MAX_CONNECTIONS : 0);
    if (fd_budget_connections(other, s->opt.max_connections_set, &s->opt.max_connections) != 0 ||
        conn_limit_listen(port, "grpc", s->opt.max_connections) != 0)
        return -1;
    metrics_add_section(conn_limit_render);
    grpc_server_start(s->server);
    return 0;
}

/* Hands a completed operation to the part of the server that started it. */
static void dispatch(server_ctx *s, cq_tag *t, bool ok)
{
    if (t->kind >= TAG_HEALTH_NEW && t->kind <= TAG_HEALTH_CLOSE)
        health_handle(s, t, ok);
    else if (t->kind == TAG_UNKNOWN_NEW || t->kind == TAG_UNKNOWN_DONE)
        unknown_handle(s, t, ok);
    else
        infer_handle(s, t, ok);
}

int server_run(server_ctx *s)
{
    if (start_grpc(s) != 0) {
        grpc_server_destroy(s->server);
        grpc_completion_queue_shutdown(s->cq);
        while (grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
               GRPC_QUEUE_SHUTDOWN) {
        }
        grpc_completion_queue_destroy(s->cq);
        return 1;
    }
    if (admission_init(&s->adm, s->opt.max_conc, s->opt.max_queue, infer_run, s) != 0) {
        LOG_ERROR("cannot start worker threads");
        return 1;
    }
    pthread_mutex_init(&s->live_mu, NULL);
    metrics_watch(&s->adm, &s->live_calls);
    /* Several outstanding requests so bursts of new calls are matched at once. */
    for (int i = 0; i < 4; i++)
        infer_request_next(s);
    for (int i = 0; i < 2; i++)
        stream_request_next(s);
    health_request_next(s);
    for (int i = 0; i < 4; i++)
        unknown_request_next(s);
    cq_tag shutdown_tag = {TAG_SHUTDOWN, NULL};
    double drain_start = 0;
    bool grpc_shutdown_done = false, cancelled_all = false;
    int code = 0;
    if (s->opt.http_port && http_door_start(s) != 0) {
        /* Not serving half of what was asked: stop what was started. */
        code = 1;
        atomic_store(&s->shutting_down, 1);
        grpc_server_shutdown_and_notify(s->server, s->cq, &shutdown_tag);
        s->grpc_shutdown_started = true;
    } else {
        atomic_store(&s->serving, 1);
        LOG_INFO("listening on %s:%d (engine %s, %d Hz, max-conc %d, max-queue %d, "
                 "max-connections %d)", s->opt.host, s->opt.port, s->opt.engine, s->sample_rate,
                 s->opt.max_conc, s->opt.max_queue, s->opt.max_connections);
        /* A line scripts can wait for. */
        printf("cosyvoice-server ready on port %d\n", s->opt.port);
        fflush(stdout);
        service_notify_ready(s->opt.port, s->opt.http_port, s->opt.engine);
    }
    /* The loop runs until gRPC has shut down *and* every Inference call is
     * freed: calls cancelled at the end of the grace period (a client that
     * stopped reading has a send stuck on flow control) still complete
     * their operations here, while the queue can take new ones. */
    while (!grpc_shutdown_done || infer_calls_open(s)) {
        grpc_event ev = grpc_completion_queue_next(
            s->cq, gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(100, GPR_TIMESPAN)),
            NULL);
        if (ev.type == GRPC_OP_COMPLETE) {
            cq_tag *t = ev.tag;
            if (t->kind == TAG_SHUTDOWN)
                grpc_shutdown_done = true;
            else
                dispatch(s, t, ev.success);
        } else if (ev.type == GRPC_QUEUE_SHUTDOWN) {
            break;
        }
        infer_check_send_timeouts(s);
        if (atomic_load(&g_signals) > 0 && !atomic_load(&s->shutting_down)) {
            atomic_store(&s->shutting_down, 1);
            atomic_store(&s->serving, 0);
            health_notify_draining(s);
            drain_start = cv_now();
            service_notify_stopping(atomic_load(&s->live_calls));
            LOG_INFO("signal received: draining %d calls in flight (grace %.1fs); "
                     "a second signal exits at once",
                     atomic_load(&s->live_calls), s->opt.grace);
        }
        if (atomic_load(&s->shutting_down)) {
            bool idle = atomic_load(&s->live_calls) == 0;
            bool expired = cv_now() - drain_start >= s->opt.grace;
            if ((idle || expired) && !s->grpc_shutdown_started) {
                grpc_server_shutdown_and_notify(s->server, s->cq, &shutdown_tag);
                s->grpc_shutdown_started = true;
            }
            if (expired && !cancelled_all) {
                if (!idle)
                    LOG_WARN("grace period over: cancelling %d calls",
                             atomic_load(&s->live_calls));
                grpc_server_cancel_all_calls(s->server);
                http_door_cancel_all();
                cancelled_all = true;
            }
        }
    }
    /* The HTTP port closes first (no request can reach admission after
     * this), workers finish (their calls are done or cancelled), then the
     * queue drains. From here on nothing may start an operation on the
     * queue (gRPC aborts on that): health calls still closing see
     * cq_closed. */
    http_door_stop();
    metrics_watch(NULL, NULL);
    admission_shutdown(&s->adm);
    grpc_server_destroy(s->server);
    atomic_store(&s->cq_closed, 1);
    grpc_completion_queue_shutdown(s->cq);
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE) {
            cq_tag *t = ev.tag;
            if (t->kind != TAG_SHUTDOWN)
                dispatch(s, t, ev.success);
        }
    }
    grpc_completion_queue_destroy(s->cq);
    LOG_INFO("stopped");
    return code;
}
