/* Connection limits for the gRPC listener.
 *
 * gRPC core 1.51 (Debian 12) accepts connections without bound: a flood of
 * idle TCP connections used every file descriptor, and once its accept()
 * had failed with EMFILE the listener never accepted again, even after the
 * flood was gone. (grpc.max_allowed_incoming_connections only came with
 * gRPC 1.63.) So this server supplies accept4() itself: gRPC's listener
 * calls it through the dynamic linker, the server's definition wraps the C
 * library's, and for a registered listening port it
 *   - keeps at most `max` accepted connections open: one beyond is closed
 *     the moment it is accepted (the client sees the connection reset and
 *     may retry; the backlog is drained, nothing queues up);
 *   - never lets EMFILE/ENFILE reach gRPC: a spare descriptor is released
 *     to accept and close the pending connection, and gRPC is told "try
 *     again later" (EAGAIN), so the listener stays alive.
 * Open connections are tracked by descriptor and socket inode, so a
 * descriptor gRPC has closed (and perhaps reused) is never miscounted.
 * Other listeners (libmicrohttpd's) pass through untouched: they have their
 * own limits. Refusals are logged at most once per 10 s. */
#ifndef CV_SERVER_CONN_LIMIT_H
#define CV_SERVER_CONN_LIMIT_H

#include <stdio.h>

/* Limits connections accepted on sockets listening on `port` (all of
 * them: IPv4 and IPv6) to max. name labels log lines and metrics.
 * Returns 0, or -1 if no more listeners can be registered. */
int conn_limit_listen(int port, const char *name, int max);

/* Connections open now on the listener registered as name (-1: none). */
int conn_limit_open(const char *name);

/* Writes the cosyvoice_connections gauge and the
 * cosyvoice_connections_refused_total counter (Prometheus text). */
void conn_limit_render(FILE *f);

#endif
