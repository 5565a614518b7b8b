/* The validity dates of the server's TLS certificate, checked at start-up:
 * gRPC serves an expired (or not yet valid) certificate without a word, and
 * every client then fails its handshake. OpenSSL (gRPC's own TLS library)
 * reads the dates. */
#ifndef CV_SERVER_CERT_DATES_H
#define CV_SERVER_CERT_DATES_H

/* Logs when the first certificate of `pem` (from `path`, given as
 * `option`) expires: a warning if it has expired or is not valid yet, or
 * expires within 7 days. */
void cert_dates_check(const char *option, const char *path, const char *pem);

#endif
