/* TLS for the server's gRPC port: PEM files are read once at start-up (so an
 * unreadable file stops the server before it loads the engine) and turned
 * into gRPC SSL server credentials when the port is opened. */
#ifndef CV_SERVER_TLS_H
#define CV_SERVER_TLS_H

#include <grpc/grpc_security.h>
#include <stdbool.h>

#include "server/options.h"

/* Reads --tls-cert/--tls-key (and --tls-client-ca) if given. Returns 0, or
 * -1 after printing a message that names the file. */
int server_tls_load(const server_options *o);

/* True once server_tls_load() found a certificate. */
bool server_tls_enabled(void);

/* SSL credentials when TLS is configured, insecure ones otherwise. The
 * caller releases them. */
grpc_server_credentials *server_tls_credentials(void);

/* The PEM texts loaded (NULL when not configured), for the HTTP door. */
void server_tls_pem(const char **cert, const char **key, const char **client_ca);

void server_tls_free(void);

#endif
