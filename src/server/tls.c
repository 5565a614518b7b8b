#include "server/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/pem_file.h"
#include "server/cert_dates.h"

static struct {
    char *cert, *key, *client_ca; /* PEM text */
} g_tls;

static char *read_pem(const char *option, const char *path, const char *marker)
{
    char *pem;
    cv_status st = pem_file_read(option, path, marker, &pem);
    if (!cv_is_ok(&st))
        fprintf(stderr, "cosyvoice-server: %s\n", st.message);
    return pem;
}

int server_tls_load(const server_options *o)
{
    if (!o->tls_cert && !o->tls_key && !o->tls_client_ca)
        return 0;
    if (!o->tls_cert || !o->tls_key) {
        fprintf(stderr, "cosyvoice-server: TLS needs both --tls-cert and --tls-key\n");
        return -1;
    }
    g_tls.cert = read_pem("--tls-cert", o->tls_cert, PEM_CERT_MARKER);
    if (g_tls.cert)
        cert_dates_check("--tls-cert", o->tls_cert, g_tls.cert);
    if (g_tls.cert)
        g_tls.key = read_pem("--tls-key", o->tls_key, PEM_KEY_MARKER);
    if (g_tls.key && o->tls_client_ca)
        g_tls.client_ca =
            read_pem("--tls-client-ca", o->tls_client_ca, PEM_CERT_MARKER);
    if (!g_tls.cert || !g_tls.key || (o->tls_client_ca && !g_tls.client_ca)) {
        server_tls_free();
        return -1;
    }
    LOG_INFO("TLS enabled%s", g_tls.client_ca ? "; client certificates required" : "");
    return 0;
}

bool server_tls_enabled(void) { return g_tls.cert != NULL; }

grpc_server_credentials *server_tls_credentials(void)
{
    if (!g_tls.cert)
        return grpc_insecure_server_credentials_create();
    grpc_ssl_pem_key_cert_pair pair = {.private_key = g_tls.key, .cert_chain = g_tls.cert};
    /* With a client CA, a client must present a certificate it signed. */
    return grpc_ssl_server_credentials_create_ex(
        g_tls.client_ca, &pair, 1,
        g_tls.client_ca ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                        : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
        NULL);
}

void server_tls_pem(const char **cert, const char **key, const char **client_ca)
{
    *cert = g_tls.cert;
    *key = g_tls.key;
    *client_ca = g_tls.client_ca;
}

void server_tls_free(void)
{
    free(g_tls.cert);
    free(g_tls.key);
    free(g_tls.client_ca);
    memset(&g_tls, 0, sizeof g_tls);
}
