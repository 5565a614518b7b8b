#ifndef CV_TIMEUTIL_H
#define CV_TIMEUTIL_H

#include <time.h>

/* Monotonic clock in seconds, for durations and latencies. */
static inline double cv_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
