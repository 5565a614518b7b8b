/* Prometheus metrics: a small thread-safe registry fed by hooks in the call
 * state machine, rendered in the Prometheus text exposition format (0.0.4)
 * and served at http://HOST:PORT/metrics by libmicrohttpd's own thread.
 *
 * Series:
 *   cosyvoice_calls_total{mode,code}             counter, finished calls
 *   cosyvoice_calls_in_flight                    gauge, received and not yet over
 *   cosyvoice_calls_running / _queued            gauges, admission slots
 *   cosyvoice_send_timeouts_total                counter, calls cancelled by --send-timeout
 *   cosyvoice_time_to_first_chunk_seconds        histogram
 *   cosyvoice_call_duration_seconds              histogram
 *   cosyvoice_real_time_factor                   histogram (time / audio)
 *   cosyvoice_audio_seconds_total                counter
 *   cosyvoice_engine_load_seconds                gauge
 *   cosyvoice_engine_info{engine,sample_rate}    gauge (always 1)
 *   process_resident_memory_bytes                gauge, from /proc/self/statm */
#ifndef CV_SERVER_METRICS_H
#define CV_SERVER_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

#include "server/admission.h"

/* Records what the engine is and how long it took to load. */
void metrics_set_engine(const char *name, int sample_rate, double load_seconds);

/* Lets the gauges read the server's admission counts and live-call count;
 * metrics_watch(NULL, NULL) before those go away. */
void metrics_watch(admission *adm, atomic_int *live_calls);

/* One finished call. mode NULL counts as "unknown"; ttfc < 0 means no
 * chunk was sent (not observed); rtf is observed when audio_s > 0. */
void metrics_observe_call(const char *mode, int code, double ttfc, double audio_s,
                          double total_s);

/* A call was cancelled because its client stopped reading (--send-timeout). */
void metrics_count_send_timeout(void);

/* The whole exposition text (malloc'd, NUL-terminated), or NULL. */
char *metrics_render(size_t *len);

/* Most scrapers connected at once; more are closed as soon as accepted. */
#define METRICS_MAX_CONNECTIONS 16

/* Adds series rendered by another part of the server (connection counts:
 * they live where the connections are tracked). Up to 4. */
void metrics_add_section(void (*render)(FILE *f));

/* Serves /metrics on host:port; a connection must send its request
 * headers within header_timeout seconds. Returns 0, or -1 after logging
 * why. */
int metrics_start(const char *host, int port, double header_timeout);
void metrics_stop(void);

#endif
