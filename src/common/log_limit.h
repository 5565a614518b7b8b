/* Rate limiting for log lines that an outsider can trigger at will (a
 * connection flood, descriptor exhaustion): at most one line per interval
 * per limiter, and the next line says how many were left out. Thread-safe. */
#ifndef CV_LOG_LIMIT_H
#define CV_LOG_LIMIT_H

#include <pthread.h>
#include <stdbool.h>

typedef struct cv_log_limiter {
    pthread_mutex_t mu;
    double interval;      /* seconds between lines */
    double last;          /* when the last line was let through; 0: never */
    unsigned long skipped; /* lines left out since */
} cv_log_limiter;

#define CV_LOG_LIMITER_INIT(seconds) {PTHREAD_MUTEX_INITIALIZER, (seconds), 0, 0}

/* True if a line may be written now; *skipped receives how many were left
 * out before it (and the count restarts). False: leave this one out. */
bool cv_log_limit_allow(cv_log_limiter *l, unsigned long *skipped);

#endif
