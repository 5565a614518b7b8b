/* The accept4() wrapper behind conn_limit.h. */
#include "server/conn_limit.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/log_limit.h"
#include "common/timeutil.h"

#define MAX_LISTENERS 4
/* While at the limit, open connections are re-checked at most this often
 * (a flood of refused connections then costs one accept and one close). */
#define PRUNE_INTERVAL 0.05

typedef struct tracked {
    int fd;
    dev_t dev;
    ino_t ino;
} tracked;

typedef struct listener {
    int port, max;
    const char *name;
    tracked *open;
    int n_open;
    double last_prune;
    unsigned long long refused;
    cv_log_limiter log;
} listener;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static listener g_listeners[MAX_LISTENERS];
static atomic_int g_count;
static int g_spare_fd = -1; /* released to shed a connection when out of descriptors */
static cv_log_limiter g_emfile_log = CV_LOG_LIMITER_INIT(10.0);

typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);
static accept4_fn g_real_accept4;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void resolve(void) { g_real_accept4 = (accept4_fn)dlsym(RTLD_NEXT, "accept4"); }

static int open_spare(void) { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

int conn_limit_listen(int port, const char *name, int max)
{
    pthread_once(&g_once, resolve);
    pthread_mutex_lock(&g_mu);
    int n = atomic_load(&g_count);
    tracked *open = n < MAX_LISTENERS ? calloc((size_t)max, sizeof *open) : NULL;
    if (!open) {
        pthread_mutex_unlock(&g_mu);
        return -1;
    }
    g_listeners[n] = (listener){.port = port, .max = max, .name = name, .open = open,
                                .log = CV_LOG_LIMITER_INIT(10.0)};
    if (g_spare_fd < 0)
        g_spare_fd = open_spare();
    atomic_store(&g_count, n + 1);
    pthread_mutex_unlock(&g_mu);
    return 0;
}

static int local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

static listener *find(int port)
{
    for (int i = 0; i < atomic_load(&g_count); i++)
        if (g_listeners[i].port == port)
            return &g_listeners[i];
    return NULL;
}

static bool still_open(const tracked *t)
{
    struct stat st;
    return fstat(t->fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == t->dev &&
           st.st_ino == t->ino;
}

/* Forgets connections gRPC has closed. Caller holds g_mu. */
static void prune_locked(listener *l)
{
    int w = 0;
    for (int r = 0; r < l->n_open; r++)
        if (still_open(&l->open[r]))
            l->open[w++] = l->open[r];
    l->n_open = w;
    l->last_prune = cv_now();
}

/* Takes fd into the listener's count if there is room. Caller holds g_mu. */
static bool admit_locked(listener *l, int fd)
{
    if (l->n_open >= l->max && cv_now() - l->last_prune >= PRUNE_INTERVAL)
        prune_locked(l);
    struct stat st;
    if (l->n_open >= l->max || fstat(fd, &st) != 0)
        return false;
    l->open[l->n_open++] = (tracked){fd, st.st_dev, st.st_ino};
    return true;
}

/* Out of descriptors: accept the pending connection into the spare
 * descriptor's place and close it, so the client is not left hanging.
 * Returns true if one was shed. Caller holds g_mu. */
static bool shed_locked(int sockfd)
{
    if (g_spare_fd < 0)
        return false;
    close(g_spare_fd);
    int fd = g_real_accept4(sockfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0)
        close(fd);
    g_spare_fd = open_spare();
    return fd >= 0;
}

int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
    pthread_once(&g_once, resolve);
    if (!g_real_accept4) {
        errno = ENOSYS;
        return -1;
    }
    listener *l = NULL;
    if (atomic_load(&g_count) > 0) {
        int port = local_port(sockfd);
        pthread_mutex_lock(&g_mu);
        l = port > 0 ? find(port) : NULL;
        pthread_mutex_unlock(&g_mu);
    }
    if (!l)
        return g_real_accept4(sockfd, addr, addrlen, flags);
    socklen_t cap = addrlen ? *addrlen : 0;
    for (;;) {
        if (addrlen)
            *addrlen = cap;
        int fd = g_real_accept4(sockfd, addr, addrlen, flags);
        unsigned long skipped;
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
            int err = errno;
            pthread_mutex_lock(&g_mu);
            bool shed = shed_locked(sockfd);
            if (shed)
                l->refused++;
            pthread_mutex_unlock(&g_mu);
            if (cv_log_limit_allow(&g_emfile_log, &skipped))
                LOG_ERROR("%s: out of file descriptors (%s): refusing connections; raise "
                          "RLIMIT_NOFILE or lower --max-connections (%lu such refusals not "
                          "logged)", l->name, strerror(err), skipped);
            if (shed)
                continue; /* drain the backlog */
            errno = EAGAIN; /* gRPC retries on the next connection, it does not give up */
            return -1;
        }
        if (fd < 0)
            return fd;
        pthread_mutex_lock(&g_mu);
        bool ok = admit_locked(l, fd);
        int n_open = l->n_open;
        if (!ok)
            l->refused++;
        pthread_mutex_unlock(&g_mu);
        if (ok)
            return fd;
        close(fd);
        if (cv_log_limit_allow(&l->log, &skipped))
            LOG_WARN("%s: %d connections open, the most allowed (--max-connections %d): "
                     "refusing new ones (%lu more refused since the last such line)",
                     l->name, n_open, l->max, skipped);
    }
}

int conn_limit_open(const char *name)
{
    int n = -1;
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < atomic_load(&g_count); i++)
        if (strcmp(g_listeners[i].name, name) == 0) {
            prune_locked(&g_listeners[i]);
            n = g_listeners[i].n_open;
        }
    pthread_mutex_unlock(&g_mu);
    return n;
}

void conn_limit_render(FILE *f)
{
    pthread_mutex_lock(&g_mu);
    int n = atomic_load(&g_count);
    if (n > 0)
        fprintf(f, "# HELP cosyvoice_connections Client connections open, by listener.\n"
                   "# TYPE cosyvoice_connections gauge\n");
    for (int i = 0; i < n; i++) {
        prune_locked(&g_listeners[i]);
        fprintf(f, "cosyvoice_connections{listener=\"%s\"} %d\n", g_listeners[i].name,
                g_listeners[i].n_open);
    }
    if (n > 0)
        fprintf(f, "# HELP cosyvoice_connections_refused_total Connections closed as soon as "
                   "accepted: the listener's limit was reached or descriptors ran out.\n"
                   "# TYPE cosyvoice_connections_refused_total counter\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "cosyvoice_connections_refused_total{listener=\"%s\"} %llu\n",
                g_listeners[i].name, g_listeners[i].refused);
    pthread_mutex_unlock(&g_mu);
}
