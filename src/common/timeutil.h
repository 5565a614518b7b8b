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

/* The time `seconds` (>= 0; less counts as 0) from now on `clock`, as the
 * absolute timespec pthread_cond_timedwait takes (its condition variable
 * must wait on the same clock: CLOCK_REALTIME unless set otherwise). */
static inline struct timespec cv_timespec_after(clockid_t clock, double seconds)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    if (!(seconds > 0)) seconds = 0;
    time_t whole = (time_t)seconds;
    ts.tv_sec += whole;
    ts.tv_nsec += (long)((seconds - (double)whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

#endif
