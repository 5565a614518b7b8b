#include "server/http_guard.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"
#include "common/log_limit.h"
#include "common/timeutil.h"

typedef struct guarded {
    struct guarded *prev, *next;
    int fd;
    double since;  /* accepted, or the previous request finished */
    bool waiting;  /* for a request's headers */
} guarded;

struct http_guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool stop;
    double timeout;
    guarded *head;
};

static void *watchdog(void *arg)
{
    http_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        double now = cv_now();
        for (guarded *e = g->head; e; e = e->next)
            if (e->waiting && now - e->since > g->timeout) {
                shutdown(e->fd, SHUT_RDWR);
                e->waiting = false; /* once */
            }
        struct timespec ts = cv_timespec_after(CLOCK_REALTIME, 0.25);
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

http_guard *http_guard_new(double header_timeout)
{
    http_guard *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->timeout = header_timeout;
    if (pthread_create(&g->thread, NULL, watchdog, g) != 0) {
        pthread_mutex_destroy(&g->mu);
        pthread_cond_destroy(&g->cv);
        free(g);
        return NULL;
    }
    return g;
}

void http_guard_free(http_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = true;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    while (g->head) { /* none left once the daemon is stopped; just in case */
        guarded *e = g->head;
        g->head = e->next;
        free(e);
    }
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    free(g);
}

void http_guard_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    http_guard *g = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        guarded *e = info ? calloc(1, sizeof *e) : NULL;
        *socket_context = e;
        if (!e)
            return;
        e->fd = info->connect_fd;
        e->since = cv_now();
        e->waiting = true;
        pthread_mutex_lock(&g->mu);
        e->next = g->head;
        if (g->head)
            g->head->prev = e;
        g->head = e;
        pthread_mutex_unlock(&g->mu);
        return;
    }
    guarded *e = *socket_context; /* MHD_CONNECTION_NOTIFY_CLOSED: the fd is still open */
    if (!e)
        return;
    pthread_mutex_lock(&g->mu);
    if (e->prev)
        e->prev->next = e->next;
    else
        g->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    pthread_mutex_unlock(&g->mu);
    free(e);
    *socket_context = NULL;
}

static guarded *entry(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

void http_guard_headers_done(http_guard *g, struct MHD_Connection *c)
{
    guarded *e = entry(c);
    if (!e)
        return;
    pthread_mutex_lock(&g->mu);
    e->waiting = false;
    pthread_mutex_unlock(&g->mu);
}

void http_guard_on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                             enum MHD_RequestTerminationCode code)
{
    (void)req_cls, (void)code;
    http_guard *g = cls;
    guarded *e = entry(c);
    if (!e)
        return;
    pthread_mutex_lock(&g->mu); /* kept alive: the next request's clock starts */
    e->since = cv_now();
    e->waiting = true;
    pthread_mutex_unlock(&g->mu);
}

/* libmicrohttpd's messages, one limiter per message text (its format
 * strings are constants): "Server reached connection limit", "Error
 * accepting connection: Too many open files" and the like. */
#define LOG_KINDS 8
static struct {
    pthread_mutex_t mu;
    const char *fmt[LOG_KINDS];
    cv_log_limiter lim[LOG_KINDS];
} g_mhd_log = {.mu = PTHREAD_MUTEX_INITIALIZER};

void http_guard_mhd_logger(void *cls, const char *fmt, va_list ap)
{
    const char *who = cls ? cls : "http";
    cv_log_limiter *lim = NULL;
    pthread_mutex_lock(&g_mhd_log.mu);
    for (int i = 0; i < LOG_KINDS && !lim; i++) {
        if (!g_mhd_log.fmt[i]) {
            g_mhd_log.fmt[i] = fmt;
            g_mhd_log.lim[i] = (cv_log_limiter)CV_LOG_LIMITER_INIT(10.0);
        }
        if (g_mhd_log.fmt[i] == fmt)
            lim = &g_mhd_log.lim[i];
    }
    pthread_mutex_unlock(&g_mhd_log.mu);
    static cv_log_limiter overflow = CV_LOG_LIMITER_INIT(10.0);
    unsigned long skipped;
    if (!cv_log_limit_allow(lim ? lim : &overflow, &skipped))
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    LOG_WARN("%s: %s (%lu more such lines left out)", who, msg, skipped);
}
