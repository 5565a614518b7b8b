/* Time limits for libmicrohttpd connections that a trickle cannot extend.
 *
 * libmicrohttpd's own MHD_OPTION_CONNECTION_TIMEOUT counts inactivity, so
 * a client that sends one header line every few seconds is never timed
 * out. The guard tracks every connection (MHD_OPTION_NOTIFY_CONNECTION)
 * from the moment it is accepted or has finished a request, and a watchdog
 * thread shuts down (shutdown(2); libmicrohttpd then closes it as usual)
 * any connection whose request headers are not complete within the
 * timeout. A descriptor is only touched while libmicrohttpd still owns it:
 * it reports the close before closing. */
#ifndef CV_SERVER_HTTP_GUARD_H
#define CV_SERVER_HTTP_GUARD_H

#include <microhttpd.h>
#include <stdarg.h>

typedef struct http_guard http_guard;

/* Starts the watchdog; NULL on failure. */
http_guard *http_guard_new(double header_timeout);
/* Stops it. Call after MHD_stop_daemon. */
void http_guard_free(http_guard *g);

/* For MHD_OPTION_NOTIFY_CONNECTION and MHD_OPTION_NOTIFY_COMPLETED, with
 * the guard as their closure. */
void http_guard_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode code);
void http_guard_on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                             enum MHD_RequestTerminationCode code);
/* The access handler calls this once a request's headers are complete. */
void http_guard_headers_done(http_guard *g, struct MHD_Connection *c);

/* For MHD_OPTION_EXTERNAL_LOGGER (give it first), cls a name for the log
 * lines ("metrics", "http"): libmicrohttpd's messages rate-limited, at most
 * one per kind per 10 s with a count of those left out (a connection flood
 * makes thousands: "Server reached connection limit", "Too many open
 * files"). */
void http_guard_mhd_logger(void *cls, const char *fmt, va_list ap);

#endif
