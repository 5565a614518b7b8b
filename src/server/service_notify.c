#include "server/service_notify.h"

#include <string.h>
#include <systemd/sd-daemon.h>

#include "common/log.h"

static void notify(const char *what, int rc)
{
    /* rc 0: no service manager listening, the common case outside systemd */
    if (rc < 0)
        LOG_WARN("cannot notify the service manager (%s): %s", what, strerror(-rc));
}

void service_notify_ready(int port, int http_port, const char *engine)
{
    if (http_port)
        notify("READY", sd_notifyf(0, "READY=1\nSTATUS=serving gRPC on port %d, HTTP on port %d, "
                                      "engine %s", port, http_port, engine));
    else
        notify("READY", sd_notifyf(0, "READY=1\nSTATUS=serving on port %d, engine %s", port,
                                   engine));
}

void service_notify_stopping(int calls_in_flight)
{
    notify("STOPPING",
           sd_notifyf(0, "STOPPING=1\nSTATUS=draining %d calls in flight", calls_in_flight));
}
