#include "client/options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client/outcome.h"
#include "client/retry.h"
#include "engine/validate.h"

/* Default sentences per mode (our own wording), so that a bare
 * `cosyvoice-client` or `--mode instruct` produces something audible. */
static const char *const DEFAULT_TEXT[TTS_MODE_COUNT] = {
    [TTS_MODE_SFT] = "你好，这是一段流式语音合成的测试。",
    [TTS_MODE_ZERO_SHOT] = "今天天气很好，我们一起去公园散步吧。",
    [TTS_MODE_CROSS_LINGUAL] = "Streaming speech synthesis turns text into audio as it goes.",
    [TTS_MODE_INSTRUCT] = "欢迎收听今天的新闻播报。",
};
static const char DEFAULT_INSTRUCT[] =
    "A calm, warm female news presenter who speaks clearly and at an even pace.";

enum {
    OPT_HOST = 256, OPT_PORT, OPT_MODE, OPT_TTS_TEXT, OPT_SPK_ID, OPT_PROMPT_TEXT,
    OPT_PROMPT_WAV, OPT_INSTRUCT_TEXT, OPT_TTS_WAV, OPT_TIMEOUT, OPT_RETRIES, OPT_NO_STREAM, OPT_TEXT_STDIN,
    OPT_SPEED, OPT_REQUEST_ID, OPT_QUIET, OPT_HELP, OPT_TLS, OPT_TLS_CA, OPT_TLS_CERT,
    OPT_TLS_KEY, OPT_TLS_NAME, OPT_PLAY, OPT_PLAY_BUFFER, OPT_NO_WAV, OPT_VERSION,
};

/* Underscore spellings first (the reference client's), then hyphenated. */
static const struct option LONG_OPTS[] = {
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"mode", required_argument, NULL, OPT_MODE},
    {"tts_text", required_argument, NULL, OPT_TTS_TEXT},
    {"tts-text", required_argument, NULL, OPT_TTS_TEXT},
    {"spk_id", required_argument, NULL, OPT_SPK_ID},
    {"spk-id", required_argument, NULL, OPT_SPK_ID},
    {"prompt_text", required_argument, NULL, OPT_PROMPT_TEXT},
    {"prompt-text", required_argument, NULL, OPT_PROMPT_TEXT},
    {"prompt_wav", required_argument, NULL, OPT_PROMPT_WAV},
    {"prompt-wav", required_argument, NULL, OPT_PROMPT_WAV},
    {"instruct_text", required_argument, NULL, OPT_INSTRUCT_TEXT},
    {"instruct-text", required_argument, NULL, OPT_INSTRUCT_TEXT},
    {"tts_wav", required_argument, NULL, OPT_TTS_WAV},
    {"tts-wav", required_argument, NULL, OPT_TTS_WAV},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"no-stream", no_argument, NULL, OPT_NO_STREAM},
    {"text-stdin", no_argument, NULL, OPT_TEXT_STDIN},
    {"no_stream", no_argument, NULL, OPT_NO_STREAM},
    {"speed", required_argument, NULL, OPT_SPEED},
    {"request-id", required_argument, NULL, OPT_REQUEST_ID},
    {"request_id", required_argument, NULL, OPT_REQUEST_ID},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"tls", no_argument, NULL, OPT_TLS},
    {"tls-ca", required_argument, NULL, OPT_TLS_CA},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"tls-server-name", required_argument, NULL, OPT_TLS_NAME},
    {"play", no_argument, NULL, OPT_PLAY},
    {"play-buffer", required_argument, NULL, OPT_PLAY_BUFFER},
    {"no-wav", no_argument, NULL, OPT_NO_WAV},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static options_result opt_error(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static options_result opt_error(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return OPTIONS_ERROR;
}

/* Whole-string integer in [lo, hi]. */
static bool parse_int(const char *s, long lo, long hi, long *v)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || end == s || *end || x < lo || x > hi)
        return false;
    *v = x;
    return true;
}

/* Whole-string finite number in (lo, hi]. */
static bool parse_num(const char *s, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(x) || x <= lo || x > hi)
        return false;
    *v = x;
    return true;
}

/* gRPC metadata values must be printable ASCII. */
static bool valid_request_id(const char *s)
{
    if (!*s || strlen(s) > 128)
        return false;
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e)
            return false;
    return true;
}

static void set_defaults(client_options *o)
{
    memset(o, 0, sizeof *o);
    o->host = "0.0.0.0";
    o->port = 50000;
    o->mode = TTS_MODE_SFT;
    o->spk_id = "中文女";
    o->prompt_text = "";
    o->tts_wav = "demo.wav";
    o->timeout_s = 300;
    o->retries = 3;
    o->speed = 1.0f;
    o->play_buffer_ms = 200;
}

/* Checks that the options chosen make a complete request for the mode. */
static options_result check_mode(const client_options *o, char *err, size_t cap)
{
    const char *mode = tts_mode_name(o->mode);
    switch (o->mode) {
    case TTS_MODE_ZERO_SHOT:
        if (!o->prompt_wav)
            return opt_error(err, cap, "--mode %s needs --prompt_wav (a recording of the voice)", mode);
        if (!*o->prompt_text)
            return opt_error(err, cap, "--mode %s needs --prompt_text (what the prompt recording says)",
                        mode);
        break;
    case TTS_MODE_CROSS_LINGUAL:
        if (!o->prompt_wav)
            return opt_error(err, cap, "--mode %s needs --prompt_wav (a recording of the voice)", mode);
        break;
    case TTS_MODE_SFT:
    case TTS_MODE_INSTRUCT:
        if (!*o->spk_id)
            return opt_error(err, cap, "--mode %s needs a non-empty --spk_id", mode);
        break;
    default:
        break;
    }
    if (o->tts_text && !*o->tts_text)
        return opt_error(err, cap, "--tts_text is empty");
    return OPTIONS_OK;
}

options_result client_options_parse(int argc, char **argv, client_options *o, char *err,
                                    size_t errcap)
{
    set_defaults(o);
    err[0] = '\0';
    optind = 0; /* GNU: full reinitialization, so parsing can run more than once */
    opterr = 0; /* we word the errors ourselves */
    for (;;) {
        int c = getopt_long(argc, argv, ":hqV", LONG_OPTS, NULL);
        if (c == -1)
            break;
        const char *arg = optarg;
        /* after an error getopt has stepped past the offending word */
        const char *word = optind > 0 && optind - 1 < argc ? argv[optind - 1] : "?";
        long l;
        double d;
        switch (c) {
        case OPT_HOST:
            if (!*arg)
                return opt_error(err, errcap, "--host is empty");
            o->host = arg;
            break;
        case OPT_PORT:
            if (!parse_int(arg, 1, 65535, &l))
                return opt_error(err, errcap, "--port must be an integer in 1..65535, not '%s'", arg);
            o->port = (int)l;
            break;
        case OPT_MODE: {
            int m = tts_mode_parse(arg);
            if (m < 0)
                return opt_error(err, errcap,
                            "--mode must be sft, zero_shot, cross_lingual or instruct, not '%s'",
                            arg);
            o->mode = (tts_mode)m;
            break;
        }
        case OPT_TTS_TEXT: o->tts_text = arg; break;
        case OPT_SPK_ID: o->spk_id = arg; break;
        case OPT_PROMPT_TEXT: o->prompt_text = arg; break;
        case OPT_PROMPT_WAV:
            if (!*arg)
                return opt_error(err, errcap, "--prompt_wav is empty");
            o->prompt_wav = arg;
            break;
        case OPT_INSTRUCT_TEXT: o->instruct_text = arg; break;
        case OPT_TTS_WAV:
            if (!*arg)
                return opt_error(err, errcap, "--tts_wav is empty");
            o->tts_wav = arg;
            break;
        case OPT_TIMEOUT:
            if (!parse_num(arg, 0, 86400, &d))
                return opt_error(err, errcap, "--timeout must be a number of seconds in (0, 86400], "
                            "not '%s'", arg);
            o->timeout_s = d;
            break;
        case OPT_RETRIES:
            if (!parse_int(arg, 0, RETRY_MAX_RETRIES, &l))
                return opt_error(err, errcap, "--retries must be an integer in 0..%d, not '%s'",
                            RETRY_MAX_RETRIES, arg);
            o->retries = (int)l;
            break;
        case OPT_NO_STREAM: o->no_stream = true; break;
        case OPT_TEXT_STDIN: o->text_stdin = true; break;
        case OPT_SPEED:
            if (!parse_num(arg, 0, TTS_MAX_SPEED, &d) || d < TTS_MIN_SPEED)
                return opt_error(err, errcap, "--speed must be a number in [%g, %g], not '%s'",
                                 (double)TTS_MIN_SPEED, (double)TTS_MAX_SPEED, arg);
            o->speed = (float)d;
            break;
        case OPT_REQUEST_ID:
            if (!valid_request_id(arg))
                return opt_error(err, errcap, "--request-id must be 1..128 printable ASCII characters");
            o->request_id = arg;
            break;
        case 'q':
        case OPT_QUIET: o->quiet = true; break;
        case OPT_TLS: o->tls = true; break;
        case OPT_TLS_CA: o->tls_ca = arg; o->tls = true; break;
        case OPT_TLS_CERT: o->tls_cert = arg; o->tls = true; break;
        case OPT_TLS_KEY: o->tls_key = arg; o->tls = true; break;
        case OPT_TLS_NAME: o->tls_server_name = arg; o->tls = true; break;
        case OPT_PLAY: o->play = true; break;
        case OPT_PLAY_BUFFER:
            if (!parse_int(arg, 0, 60000, &l))
                return opt_error(err, errcap, "--play-buffer must be milliseconds in 0..60000, "
                                 "not '%s'", arg);
            o->play_buffer_ms = (int)l;
            break;
        case OPT_NO_WAV: o->no_wav = true; break;
        case 'h':
        case OPT_HELP: return OPTIONS_HELP;
        case 'V':
        case OPT_VERSION: return OPTIONS_VERSION;
        case ':':
            return opt_error(err, errcap, "option %s needs a value", word);
        default:
            if (optopt)
                return opt_error(err, errcap, "unknown option -%c", optopt);
            return opt_error(err, errcap, "unknown or ambiguous option %s", word);
        }
    }
    if (optind < argc)
        return opt_error(err, errcap, "unexpected argument '%s' (text goes in --tts_text)",
                    argv[optind]);
    if (!o->tls_cert != !o->tls_key)
        return opt_error(err, errcap, "mutual TLS needs both --tls-cert and --tls-key");
    if (o->no_wav && !o->play)
        return opt_error(err, errcap, "--no-wav only makes sense with --play");
    return check_mode(o, err, errcap);
}

const char *client_options_tts_text(const client_options *o)
{
    return o->tts_text ? o->tts_text : DEFAULT_TEXT[o->mode];
}

const char *client_options_instruct_text(const client_options *o)
{
    return o->instruct_text ? o->instruct_text : DEFAULT_INSTRUCT;
}

void client_options_target(const client_options *o, char *buf, size_t cap)
{
    const char *h = strcmp(o->host, "0.0.0.0") == 0 ? "127.0.0.1"
                    : strcmp(o->host, "::") == 0    ? "::1"
                                                    : o->host;
    if (strchr(h, ':') && h[0] != '[')
        snprintf(buf, cap, "[%s]:%d", h, o->port);
    else
        snprintf(buf, cap, "%s:%d", h, o->port);
}

void client_options_usage(FILE *f, const char *prog)
{
    fprintf(f,
"Usage: %s [options]\n"
"Synthesizes speech with a CosyVoice gRPC server and writes it to a WAV file\n"
"while it streams in.\n"
"\n"
"Request:\n"
"  --mode MODE            sft (default), zero_shot, cross_lingual or instruct\n"
"  --tts_text TEXT        text to speak (default: a sample sentence for the mode)\n"
"  --spk_id ID            speaker for sft and instruct (default: 中文女)\n"
"  --prompt_text TEXT     transcript of the prompt recording (zero_shot; required)\n"
"  --prompt_wav FILE      prompt recording (zero_shot, cross_lingual; required;\n"
"                         instruct: instead of --spk_id, CosyVoice2/3 servers):\n"
"                         any format libsndfile reads, any rate and channel count;\n"
"                         sent as 16 kHz mono 16-bit PCM\n"
"  --instruct_text TEXT   speaking-style instruction (instruct; default: a sample)\n"
"  --speed X              speaking rate, 1.0 = normal, in [0.25, 4] (default 1.0)\n"
"  --no-stream            ask for one chunk per text segment instead of streaming\n"
"  --text-stdin           send the text from stdin as it arrives (StreamInference):\n"
"                         'llm | cosyvoice-client --text-stdin --play' speaks while\n"
"                         the LLM writes; --tts_text, if given, is spoken first\n"
"  --request-id ID        sent as x-request-id metadata (default: generated)\n"
"\n"
"Connection:\n"
"  --host HOST            server address (default 0.0.0.0, i.e. this machine)\n"
"  --port PORT            server port (default 50000)\n"
"  --timeout SECONDS      deadline of each attempt (default 300)\n"
"  --retries N            retries when the server is unreachable (UNAVAILABLE)\n"
"                         before any audio arrived, with exponential backoff and\n"
"                         jitter (default 3, at most %d). Never retried once audio\n"
"                         has started.\n"
"  --tls                  connect with TLS, verifying the server against gRPC's\n"
"                         default roots (or --tls-ca)\n"
"  --tls-ca FILE          PEM CA certificate(s) to verify the server with\n"
"  --tls-cert FILE        PEM client certificate, for servers that require one\n"
"  --tls-key FILE         private key of --tls-cert\n"
"  --tls-server-name NAME name the server certificate must carry, when it differs\n"
"                         from --host (e.g. connecting by IP address)\n"
"\n"
"Output:\n"
"  --tts_wav FILE         output WAV, 16-bit mono at the server's rate\n"
"                         (default demo.wav); valid after every chunk, so a broken\n"
"                         stream leaves the audio received so far\n"
"  --play                 also play the audio as it arrives (PortAudio, default\n"
"                         output device); without a device the file is still written\n"
"  --play-buffer MS       audio buffered before playback starts, and again after an\n"
"                         underrun (default 200)\n"
"  --no-wav               with --play: play only, write no file\n"
"  -q, --quiet            print errors only (no summary line)\n"
"  -h, --help             this text\n"
"  -V, --version          the client's version and those of its libraries\n"
"\n"
"Options with underscores also accept hyphens (--tts-text, --spk-id, ...).\n"
"On success one summary line on stderr: time to first chunk, chunks, audio\n"
"seconds, total time and real-time factor (total time / audio seconds).\n"
"\n"
"Exit codes:\n"
"  %d  done: the whole audio was received\n"
"  %d  internal or unexpected error (local I/O, malformed reply, server INTERNAL)\n"
"  %d  bad arguments or usage, including a missing or unreadable prompt file\n"
"  %d  server rejected the request (INVALID_ARGUMENT, NOT_FOUND,\n"
"     RESOURCE_EXHAUSTED, FAILED_PRECONDITION, UNIMPLEMENTED, ...)\n"
"  %d  transport failure before any audio: server unreachable after the\n"
"     retries (UNAVAILABLE) or deadline exceeded (DEADLINE_EXCEEDED)\n"
"  %d  partial audio: the stream broke after audio started; the WAV file\n"
"     holds (and is valid with) the audio received\n",
            prog, RETRY_MAX_RETRIES, EXIT_DONE, EXIT_INTERNAL, EXIT_USAGE, EXIT_REJECTED,
            EXIT_TRANSPORT, EXIT_PARTIAL);
}
