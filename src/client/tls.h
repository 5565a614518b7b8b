/* Channel credentials for the client: gRPC SSL credentials built from the
 * --tls-* options (read once, shared by every attempt), or insecure ones. */
#ifndef CV_CLIENT_TLS_H
#define CV_CLIENT_TLS_H

#include <grpc/grpc_security.h>

#include "client/options.h"
#include "common/status.h"

/* Builds the credentials for *o; on error (a file missing or not PEM) the
 * status names the option and file. Release with
 * grpc_channel_credentials_release(). grpc_init() must have been called. */
cv_status client_tls_credentials(const client_options *o, grpc_channel_credentials **out);

/* A hint for a failed connection that looks like a TLS mismatch: a
 * plaintext client whose connection the server closed (it expected a TLS
 * handshake), or a TLS client whose handshake failed or was refused
 * (e.g. no client certificate for a mutual-TLS server). NULL otherwise. */
const char *client_tls_hint(const client_options *o, int code, const char *details);

#endif
