#include "client/tls.h"

#include <grpc/status.h>
#include <stdlib.h>
#include <string.h>

#include "common/pem_file.h"

cv_status client_tls_credentials(const client_options *o, grpc_channel_credentials **out)
{
    *out = NULL;
    if (!o->tls) {
        *out = grpc_insecure_credentials_create();
        return cv_ok();
    }
    char *ca = NULL, *cert = NULL, *key = NULL;
    cv_status st = cv_ok();
    if (o->tls_ca)
        st = pem_file_read("--tls-ca", o->tls_ca, PEM_CERT_MARKER, &ca);
    if (cv_is_ok(&st) && o->tls_cert)
        st = pem_file_read("--tls-cert", o->tls_cert, PEM_CERT_MARKER, &cert);
    if (cv_is_ok(&st) && o->tls_key)
        st = pem_file_read("--tls-key", o->tls_key, PEM_KEY_MARKER, &key);
    if (cv_is_ok(&st)) {
        grpc_ssl_pem_key_cert_pair pair = {.private_key = key, .cert_chain = cert};
        /* NULL roots: gRPC's defaults (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH or
         * its bundled roots). gRPC copies the PEM strings. */
        *out = grpc_ssl_credentials_create(ca, cert ? &pair : NULL, NULL, NULL);
        if (!*out)
            st = cv_error(CV_INTERNAL, "gRPC could not create TLS credentials");
    }
    free(ca);
    free(cert);
    free(key);
    return st;
}

const char *client_tls_hint(const client_options *o, int code, const char *details)
{
    bool tls = o->tls;
    if (code != GRPC_STATUS_UNAVAILABLE || !details)
        return NULL;
    if (!tls && (strstr(details, "Socket closed") || strstr(details, "Connection reset")))
        return "the server closed the connection at once: if it serves TLS, add --tls "
               "(and --tls-ca FILE for a private CA)";
    if (tls && !o->tls_cert && strstr(details, "Socket closed"))
        return "the server closed the connection during the TLS handshake: it may require a "
               "client certificate (--tls-cert FILE --tls-key FILE)";
    if (tls && strstr(details, "wrong version number"))
        return "the server does not speak TLS: drop --tls and the --tls-* options";
    if (tls && strstr(details, "certificate verify failed"))
        return "the server's certificate is not signed by a trusted CA: pass its CA with "
               "--tls-ca FILE";
    if (tls && strstr(details, "handshake"))
        return "TLS handshake failed: check --tls-ca, --tls-server-name, and whether the "
               "server requires a client certificate (--tls-cert/--tls-key)";
    return NULL;
}
