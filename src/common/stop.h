#ifndef CV_STOP_H
#define CV_STOP_H

#include <stdbool.h>
#include <stddef.h>

/* A cheap "should this work stop?" poll handed down to long computations
 * (the flow's ODE steps), so a cancelled call frees its worker within one
 * step instead of finishing a chunk nobody will hear. */
typedef struct cv_stop {
    bool (*requested)(void *user);
    void *user;
} cv_stop;

static inline bool cv_stop_requested(const cv_stop *s)
{
    return s && s->requested && s->requested(s->user);
}

#endif
