/* Retry policy of the client: only "could not get through" failures are
 * retried (UNAVAILABLE, which is also how gRPC reports a refused or dropped
 * connection), and only while no audio has arrived; a stream that already
 * delivered audio is never replayed, since that would duplicate audio. */
#ifndef CV_CLIENT_RETRY_H
#define CV_CLIENT_RETRY_H

#include <stdbool.h>
#include <stddef.h>

#define RETRY_MAX_RETRIES 10
#define RETRY_BASE_DELAY_S 0.25 /* ceiling of the first delay */
#define RETRY_MAX_DELAY_S 8.0   /* no single delay exceeds this */

/* True if a call that ended with gRPC status `code` after `chunks` chunks
 * should be tried again, given retries_done of max_retries were used. */
bool retry_should(int code, size_t chunks, int retries_done, int max_retries);

/* Delay before retry number `retry` (1 = first retry): exponential ceiling
 * min(MAX, BASE * 2^(retry-1)) with "equal jitter", i.e. uniformly in
 * [ceiling/2, ceiling) for u in [0, 1), so that clients started together
 * do not retry in lockstep. */
double retry_delay(int retry, double u);

/* A uniform number in [0, 1) for the jitter (seeded once per process). */
double retry_uniform(void);

void retry_sleep(double seconds);

#endif
