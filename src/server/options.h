/* Command-line options of cosyvoice-server. */
#ifndef CV_SERVER_OPTIONS_H
#define CV_SERVER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SERVER_MAX_ENGINE_PARAMS 16

typedef struct server_options {
    const char *host;
    int port;
    int max_conc;            /* calls synthesizing at once */
    int max_queue;           /* calls waiting for a slot; -1 = same as max_conc */
    const char *engine;
    const char *model_dir;
    const char *speakers_file; /* --speakers */
    int threads;             /* compute threads per call (neural engine) */
    const char *engine_params[SERVER_MAX_ENGINE_PARAMS]; /* --engine-opt KEY=VALUE */
    int n_engine_params;
    size_t max_text;         /* characters */
    double max_prompt_seconds;
    size_t max_request_bytes;
    double grace;            /* seconds to let calls finish on SIGTERM */
    int chunk_queue;         /* chunks waiting per call before synthesis pauses */
    double text_idle_timeout; /* StreamInference: longest wait for the next text; 0 = never */
    double send_timeout;     /* cancel a call whose send is stuck this long; 0 = never */
    int max_connections;     /* gRPC connections open at once */
    bool max_connections_set; /* given on the command line (else the default, may shrink) */
    double header_timeout;   /* seconds a new connection has to send its headers */
    double idle_timeout;     /* close connections without calls after this long; 0 = never */
    bool list_speakers;
    bool verbose;
    const char *tls_cert;      /* PEM certificate chain; with tls_key enables TLS */
    const char *tls_key;       /* PEM private key */
    const char *tls_client_ca; /* PEM CA: clients must present a cert it signed */
    int metrics_port;          /* Prometheus /metrics over HTTP; 0 = off */
    int http_port;             /* HTTP door (src/http); 0 = off */
} server_options;

/* Parses argv. Returns 0 to run, 1 if --help/--list-speakers style output
 * was requested and printed (exit 0), -1 on a usage error (message printed). */
int server_options_parse(int argc, char **argv, server_options *o);
void server_options_usage(FILE *out);

#endif
