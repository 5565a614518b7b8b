/* Command-line options of cosyvoice-client. Option names follow CosyVoice's
 * reference gRPC client (--host, --port, --mode, --tts_text, --spk_id,
 * --prompt_text, --prompt_wav, --instruct_text, --tts_wav) so scripts written
 * for it work unchanged; hyphenated spellings are accepted too. */
#ifndef CV_CLIENT_OPTIONS_H
#define CV_CLIENT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "engine/engine.h"

typedef struct client_options {
    const char *host;          /* as given; 0.0.0.0 means this machine */
    int port;
    tts_mode mode;
    const char *tts_text;      /* NULL: a default sentence for the mode */
    const char *spk_id;
    const char *prompt_text;
    const char *prompt_wav;
    const char *instruct_text; /* NULL: a default description */
    const char *tts_wav;       /* output file */
    double timeout_s;          /* deadline of each attempt */
    int retries;               /* extra attempts while no audio has arrived */
    bool no_stream;
    bool text_stdin;           /* StreamInference: the text is read from stdin as it comes */
    float speed;               /* 1.0 = normal */
    const char *request_id;    /* NULL: generated */
    bool quiet;
    /* TLS (any of the tls_* files implies --tls) */
    bool tls;
    const char *tls_ca;          /* PEM roots; NULL: gRPC's default roots */
    const char *tls_cert;        /* PEM client certificate (mutual TLS) */
    const char *tls_key;         /* its private key */
    const char *tls_server_name; /* name to verify instead of --host */
    /* real-time playback */
    bool play;
    int play_buffer_ms;          /* audio buffered before playback starts */
    bool no_wav;                 /* with --play: do not write --tts_wav */
} client_options;

typedef enum options_result {
    OPTIONS_OK,    /* run the call */
    OPTIONS_HELP,  /* --help: print usage, exit 0 */
    OPTIONS_VERSION, /* --version: print versions, exit 0 */
    OPTIONS_ERROR, /* message in err, exit with the usage code */
} options_result;

/* Parses argv into *o (filled with defaults first). On OPTIONS_ERROR a
 * one-line explanation is written to err. Pointers in *o point into argv or
 * static strings. Not reentrant (uses getopt_long). */
options_result client_options_parse(int argc, char **argv, client_options *o, char *err,
                                    size_t errcap);

/* The tts_text / instruct_text actually sent (defaults resolved). */
const char *client_options_tts_text(const client_options *o);
const char *client_options_instruct_text(const client_options *o);

/* "host:port" to dial: 0.0.0.0 (the reference client's default) becomes
 * 127.0.0.1 and bare IPv6 addresses are bracketed. */
void client_options_target(const client_options *o, char *buf, size_t cap);

void client_options_usage(FILE *f, const char *prog);

#endif
