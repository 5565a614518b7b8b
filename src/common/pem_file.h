/* Reading PEM files (TLS certificates and keys) into the NUL-terminated
 * strings gRPC's SSL credentials take. Shared by the server and client. */
#ifndef CV_PEM_FILE_H
#define CV_PEM_FILE_H

#include "common/status.h"

/* Reads `path` whole into *out (free() it). `marker` is text the file must
 * contain (e.g. "-----BEGIN CERTIFICATE-----"): gRPC reports a bad PEM only
 * as a failed handshake or port, so the usual mistakes (wrong file, DER
 * instead of PEM) are caught here, naming the option and file. */
cv_status pem_file_read(const char *option, const char *path, const char *marker, char **out);

#define PEM_CERT_MARKER "-----BEGIN CERTIFICATE-----"
#define PEM_KEY_MARKER "PRIVATE KEY-----"

#endif
