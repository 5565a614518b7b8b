/* File descriptors: the start-up check behind the connection limits.
 *
 * Every connection costs a descriptor, and running out is not survivable
 * for every part of the process (see conn_limit.h), so the soft
 * RLIMIT_NOFILE is raised to the hard limit at start-up and the listeners'
 * connection limits must fit in it, next to the descriptors already open
 * (model files, gRPC's own, the listening sockets) and a reserve for work
 * in flight. */
#ifndef CV_SERVER_FD_BUDGET_H
#define CV_SERVER_FD_BUDGET_H

#include <stdbool.h>

/* Descriptors kept free for work in flight: files read per call, metrics
 * scrapes, gRPC's internal use. */
#define FD_RESERVE 32

/* Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit
 * now in force (logged), or -1 if it cannot be read. */
long fd_limit_raise(void);

/* Descriptors open in this process now. */
int fd_open_count(void);

/* The gRPC connection limit: *max (--max-connections) if it fits in the
 * descriptor limit next to `other` descriptors other listeners may hold
 * (and those open now and FD_RESERVE); otherwise, when the value is the
 * default (explicit false), the most that fits, with a warning. Returns 0,
 * or -1 after printing why the server cannot start (an explicit value that
 * does not fit, or room for fewer than 4 connections). */
int fd_budget_connections(int other, bool explicit, int *max);

#endif
