#include "common/log_limit.h"

#include "common/timeutil.h"

bool cv_log_limit_allow(cv_log_limiter *l, unsigned long *skipped)
{
    double now = cv_now();
    bool allow;
    pthread_mutex_lock(&l->mu);
    allow = l->last == 0 || now - l->last >= l->interval;
    if (allow) {
        *skipped = l->skipped;
        l->skipped = 0;
        l->last = now;
    } else {
        l->skipped++;
    }
    pthread_mutex_unlock(&l->mu);
    return allow;
}
