/* Tells a service manager how the server is doing (systemd Type=notify,
 * through libsystemd's sd_notify): READY=1 once the engine is loaded and
 * the port listens, so `systemctl start` and restarts return only when
 * calls can be served, however long a model takes to load; STOPPING=1 when
 * a signal starts the drain. Each message carries a STATUS= line that
 * `systemctl status` shows. Without NOTIFY_SOCKET in the environment (not
 * started by systemd) they do nothing. */
#ifndef CV_SERVER_SERVICE_NOTIFY_H
#define CV_SERVER_SERVICE_NOTIFY_H

/* http_port 0: no HTTP door. */
void service_notify_ready(int port, int http_port, const char *engine);
void service_notify_stopping(int calls_in_flight);

#endif
