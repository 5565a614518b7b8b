/* A cv_stop poll for tests that stops at its Nth call, and counts the
 * calls, so a test can tell where a loop polls (inside the prefill, not
 * only before each token). */
#ifndef CV_STOP_TEST_UTIL_H
#define CV_STOP_TEST_UTIL_H

#include <stdbool.h>

typedef struct poll_count {
    int calls, stop_at;
} poll_count;

static inline bool stop_at(void *u)
{
    poll_count *p = u;
    return ++p->calls >= p->stop_at;
}

#endif
