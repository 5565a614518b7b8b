#include "client/retry.h"

#include <errno.h>
#include <grpc/status.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

bool retry_should(int code, size_t chunks, int retries_done, int max_retries)
{
    return code == GRPC_STATUS_UNAVAILABLE && chunks == 0 && retries_done < max_retries;
}

double retry_delay(int retry, double u)
{
    if (retry < 1)
        retry = 1;
    if (u < 0)
        u = 0;
    if (u >= 1)
        u = nextafter(1.0, 0.0);
    /* 2^(retry-1) overflows nothing for the retry counts allowed; clamp anyway */
    int e = retry - 1 > 30 ? 30 : retry - 1;
    double ceiling = fmin(RETRY_MAX_DELAY_S, RETRY_BASE_DELAY_S * ldexp(1.0, e));
    return ceiling / 2 + u * ceiling / 2;
}

double retry_uniform(void)
{
    static unsigned short state[3];
    static bool seeded;
    if (!seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        state[0] = (unsigned short)ts.tv_nsec;
        state[1] = (unsigned short)(ts.tv_nsec >> 16);
        state[2] = (unsigned short)getpid();
        seeded = true;
    }
    return erand48(state);
}

void retry_sleep(double seconds)
{
    if (seconds <= 0)
        return;
    struct timespec ts = {(time_t)seconds, (long)((seconds - floor(seconds)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
