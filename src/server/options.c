#include "server/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/validate.h"
#include "engine/versions.h"

void server_options_usage(FILE *out)
{
    fprintf(out,
"Usage: cosyvoice-server [OPTIONS]\n"
"\n"
"Streaming text-to-speech over gRPC, wire-compatible with CosyVoice\n"
"(service cosyvoice.CosyVoice, method Inference). Audio is streamed as raw\n"
"16-bit mono PCM chunks while it is synthesized.\n"
"\n"
"Network:\n"
"  --host ADDR               address to listen on (default 0.0.0.0)\n"
"  --port N                  port to listen on (default 50000)\n"
"  --tls-cert FILE           serve TLS with this PEM certificate (chain)\n"
"  --tls-key FILE            PEM private key of --tls-cert\n"
"  --tls-client-ca FILE      require client certificates signed by this PEM CA\n"
"                            (mutual TLS)\n"
"  --http-port N             also serve HTTP on this port (same --host and TLS):\n"
"                            CosyVoice's /inference_* routes, OpenAI-compatible\n"
"                            POST /v1/audio/speech, a web page at / (default off)\n"
"  --max-connections N       gRPC connections open at once; more are closed as\n"
"                            soon as accepted (default 1000, lowered to fit\n"
"                            RLIMIT_NOFILE)\n"
"  --header-timeout S        seconds a new connection has to complete its\n"
"                            handshake and headers, however it trickles them\n"
"                            (default 10)\n"
"  --idle-timeout S          close connections that have had no call for S\n"
"                            seconds (default 300; 0 = never)\n"
"Monitoring:\n"
"  --metrics-port N          serve Prometheus metrics at http://HOST:N/metrics\n"
"                            (same --host; default off)\n"
"Engine:\n"
"  --engine NAME             synthesis engine (default espeak); available:");
    for (size_t i = 0; i < engine_registry_count(); i++)
        fprintf(out, " %s", engine_registry_at(i)->name);
    fprintf(out,
"\n"
"  --model-dir DIR           model directory, for engines that need one\n"
"  --speakers FILE           cosyvoice: saved voices kept outside the model\n"
"                            directory (cosyvoice-speaker --speakers), loaded\n"
"                            after its spk2info.pt\n"
"  --threads N               compute threads per call (default 1)\n"
"  --engine-opt KEY=VALUE    engine-specific setting (repeatable); cosyvoice:\n"
"                            first_hop, stream_scale, seed, fixed_tokens, lm_int8,\n"
"                            sampling, precision, lm_yield\n"
"  --list-speakers           print the engine's speaker ids and exit\n"
"Limits:\n"
"  --max-conc N              most calls synthesizing at once (default 4)\n"
"  --max-queue N             calls waiting for a slot before new ones are refused\n"
"                            with RESOURCE_EXHAUSTED (default: same as --max-conc)\n"
"  --max-text N              longest tts_text in characters (default %d)\n"
"  --max-prompt-seconds S    longest prompt recording (default %.0f)\n"
"  --max-request-bytes N     largest request message (default 4194304)\n"
"  --chunk-queue N           audio chunks buffered per call while the client is\n"
"                            slow; synthesis pauses when full (default 4)\n"
"  --text-idle-timeout S     StreamInference: end a call (DEADLINE_EXCEEDED, freeing\n"
"                            its slot) when no text arrives for S s (default 30)\n"
"  --send-timeout S          cancel a call (freeing its slot) when none of its\n"
"                            audio could be sent for S seconds: the client\n"
"                            stopped reading (default 30; 0 = never)\n"
"Lifecycle:\n"
"  --grace S                 on SIGTERM/SIGINT, seconds to let calls in flight\n"
"                            finish before cancelling them (default 10); a second\n"
"                            signal exits at once\n"
"  -v, --verbose             debug logging\n"
"  -h, --help                this help\n"
"  -V, --version             the server's version and those of its libraries\n",
            TTS_DEFAULT_MAX_TEXT, TTS_DEFAULT_MAX_PROMPT_SECONDS);
}

static int parse_long(const char *name, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) {
        fprintf(stderr, "cosyvoice-server: %s must be an integer in [%ld, %ld], got '%s'\n",
                name, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_double(const char *name, const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !(v >= lo && v <= hi)) {
        fprintf(stderr, "cosyvoice-server: %s must be a number in [%g, %g], got '%s'\n", name,
                lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int server_options_parse(int argc, char **argv, server_options *o)
{
    *o = (server_options){
        .host = "0.0.0.0", .port = 50000, .max_conc = 4, .max_queue = -1,
        .engine = "espeak", .model_dir = NULL, .threads = 1,
        .max_text = TTS_DEFAULT_MAX_TEXT, .max_prompt_seconds = TTS_DEFAULT_MAX_PROMPT_SECONDS,
        .max_request_bytes = 4u << 20, .grace = 10.0, .chunk_queue = 4, .send_timeout = 30.0, .text_idle_timeout = 30.0,
        .max_connections = 1000, .header_timeout = 10.0, .idle_timeout = 300.0,
    };
    enum { O_HOST = 256, O_PORT, O_MAXCONC, O_MAXQ, O_ENGINE, O_MODEL, O_SPEAKERS, O_THREADS, O_MAXTEXT,
           O_MAXPROMPT, O_MAXREQ, O_GRACE, O_CHUNKQ, O_LIST, O_TLS_CERT, O_TLS_KEY,
           O_TLS_CA, O_METRICS, O_ENGINE_OPT, O_HTTP, O_SEND_TIMEOUT, O_MAX_CONN,
           O_HEADER_TIMEOUT, O_IDLE_TIMEOUT, O_TEXT_IDLE };
    static const struct option longopts[] = {
        {"host", required_argument, 0, O_HOST},
        {"port", required_argument, 0, O_PORT},
        {"max-conc", required_argument, 0, O_MAXCONC},
        {"max-queue", required_argument, 0, O_MAXQ},
        {"engine", required_argument, 0, O_ENGINE},
        {"model-dir", required_argument, 0, O_MODEL},
        {"model_dir", required_argument, 0, O_MODEL},
        {"speakers", required_argument, 0, O_SPEAKERS},
        {"threads", required_argument, 0, O_THREADS},
        {"engine-opt", required_argument, 0, O_ENGINE_OPT},
        {"max-text", required_argument, 0, O_MAXTEXT},
        {"max-prompt-seconds", required_argument, 0, O_MAXPROMPT},
        {"max-request-bytes", required_argument, 0, O_MAXREQ},
        {"grace", required_argument, 0, O_GRACE},
        {"chunk-queue", required_argument, 0, O_CHUNKQ},
        {"send-timeout", required_argument, 0, O_SEND_TIMEOUT},
        {"text-idle-timeout", required_argument, 0, O_TEXT_IDLE},
        {"max-connections", required_argument, 0, O_MAX_CONN},
        {"header-timeout", required_argument, 0, O_HEADER_TIMEOUT},
        {"idle-timeout", required_argument, 0, O_IDLE_TIMEOUT},
        {"list-speakers", no_argument, 0, O_LIST},
        {"tls-cert", required_argument, 0, O_TLS_CERT},
        {"tls-key", required_argument, 0, O_TLS_KEY},
        {"tls-client-ca", required_argument, 0, O_TLS_CA},
        {"metrics-port", required_argument, 0, O_METRICS},
        {"http-port", required_argument, 0, O_HTTP},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}};
    long l;
    double d;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hvV", longopts, NULL)) != -1) {
        switch (c) {
        case O_HOST: o->host = optarg; break;
        case O_PORT:
            if (parse_long("--port", optarg, 0, 65535, &l)) return -1;
            o->port = (int)l;
            break;
        case O_MAXCONC:
            if (parse_long("--max-conc", optarg, 1, 1024, &l)) return -1;
            o->max_conc = (int)l;
            break;
        case O_MAXQ:
            if (parse_long("--max-queue", optarg, 0, 100000, &l)) return -1;
            o->max_queue = (int)l;
            break;
        case O_ENGINE: o->engine = optarg; break;
        case O_MODEL: o->model_dir = optarg; break;
        case O_SPEAKERS: o->speakers_file = optarg; break;
        case O_ENGINE_OPT:
            if (!strchr(optarg, '=') || o->n_engine_params >= SERVER_MAX_ENGINE_PARAMS) {
                fprintf(stderr, "cosyvoice-server: --engine-opt wants KEY=VALUE (at most %d), got '%s'\n",
                        SERVER_MAX_ENGINE_PARAMS, optarg);
                return -1;
            }
            o->engine_params[o->n_engine_params++] = optarg;
            break;
        case O_THREADS:
            if (parse_long("--threads", optarg, 1, 256, &l)) return -1;
            o->threads = (int)l;
            break;
        case O_MAXTEXT:
            if (parse_long("--max-text", optarg, 1, 10000000, &l)) return -1;
            o->max_text = (size_t)l;
            break;
        case O_MAXPROMPT:
            if (parse_double("--max-prompt-seconds", optarg, 0.5, 3600, &d)) return -1;
            o->max_prompt_seconds = d;
            break;
        case O_MAXREQ:
            if (parse_long("--max-request-bytes", optarg, 1024, 1L << 30, &l)) return -1;
            o->max_request_bytes = (size_t)l;
            break;
        case O_GRACE:
            if (parse_double("--grace", optarg, 0, 86400, &d)) return -1;
            o->grace = d;
            break;
        case O_CHUNKQ:
            if (parse_long("--chunk-queue", optarg, 1, 1024, &l)) return -1;
            o->chunk_queue = (int)l;
            break;
        case O_TEXT_IDLE:
            if (parse_double("--text-idle-timeout", optarg, 0, 86400, &d)) return -1;
            o->text_idle_timeout = d;
            break;
        case O_SEND_TIMEOUT:
            if (parse_double("--send-timeout", optarg, 0, 86400, &d)) return -1;
            o->send_timeout = d;
            break;
        case O_MAX_CONN:
            if (parse_long("--max-connections", optarg, 1, 1000000, &l)) return -1;
            o->max_connections = (int)l;
            o->max_connections_set = true;
            break;
        case O_HEADER_TIMEOUT:
            if (parse_double("--header-timeout", optarg, 0.1, 3600, &d)) return -1;
            o->header_timeout = d;
            break;
        case O_IDLE_TIMEOUT:
            if (parse_double("--idle-timeout", optarg, 0, 86400 * 365, &d)) return -1;
            o->idle_timeout = d;
            break;
        case O_LIST: o->list_speakers = true; break;
        case O_TLS_CERT: o->tls_cert = optarg; break;
        case O_TLS_KEY: o->tls_key = optarg; break;
        case O_TLS_CA: o->tls_client_ca = optarg; break;
        case O_METRICS:
            if (parse_long("--metrics-port", optarg, 1, 65535, &l)) return -1;
            o->metrics_port = (int)l;
            break;
        case O_HTTP:
            if (parse_long("--http-port", optarg, 1, 65535, &l)) return -1;
            o->http_port = (int)l;
            break;
        case 'v': o->verbose = true; break;
        case 'h': server_options_usage(stdout); return 1;
        case 'V': cv_print_versions(stdout, "cosyvoice-server"); return 1;
        default:
            fprintf(stderr, "Try 'cosyvoice-server --help'.\n");
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cosyvoice-server: unexpected argument '%s'\nTry 'cosyvoice-server --help'.\n",
                argv[optind]);
        return -1;
    }
    if (o->max_queue < 0)
        o->max_queue = o->max_conc;
    return 0;
}
