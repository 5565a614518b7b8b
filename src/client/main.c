/* cosyvoice-client: sends one synthesis request to a CosyVoice gRPC server
 * and writes the streamed audio to a WAV file as it arrives. */
#include <errno.h>
#include <grpc/grpc.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio/audio_file.h"
#include "audio/wav_writer.h"
#include "client/call.h"
#include "client/options.h"
#include "client/outcome.h"
#include "client/playback.h"
#include "client/retry.h"
#include "client/tls.h"
#include "common/timeutil.h"
#include "engine/versions.h"
#include "wire/request_codec.h"

#define PROG "cosyvoice-client"

/* The WAV file is created when the first chunk arrives: only then is the
 * sample rate known, and a failed call leaves no empty file behind. With
 * --play the same chunks also go to the speaker. */
typedef struct output {
    const char *path; /* NULL with --no-wav */
    wav_writer *wav;
    int rate;         /* of the first chunk */
    playback *pb;     /* NULL unless --play found a device */
} output;

/* Plays a chunk; if the device cannot play, says so once and goes on with
 * the file only. */
static void play_chunk(output *out, const int16_t *pcm, size_t n)
{
    cv_status st = cv_ok();
    if (!playback_started(out->pb))
        st = playback_start(out->pb, out->rate);
    if (cv_is_ok(&st))
        st = playback_write(out->pb, pcm, n);
    if (!cv_is_ok(&st)) {
        fprintf(stderr, PROG ": warning: %s; %s\n", st.message,
                out->path ? "still writing the file" : "nothing more will be played");
        playback_destroy(out->pb);
        out->pb = NULL;
    }
}

static cv_status on_chunk(void *ctx, const int16_t *pcm, size_t n, uint32_t rate)
{
    output *out = ctx;
    if (!out->rate)
        out->rate = (int)rate;
    else if (out->rate != (int)rate)
        return cv_error(CV_INTERNAL, "server changed the sample rate mid-stream (%d -> %u Hz)",
                        out->rate, rate);
    if (out->path && !out->wav) {
        cv_status st = wav_writer_open(out->path, (int)rate, &out->wav);
        if (!cv_is_ok(&st))
            return st;
    }
    if (out->wav) {
        cv_status st = wav_writer_write(out->wav, pcm, n);
        if (!cv_is_ok(&st))
            return st;
    }
    if (out->pb)
        play_chunk(out, pcm, n);
    return cv_ok();
}

/* Fails early, before any network work, if the output cannot be written. */
static bool output_writable(const char *path, char *err, size_t cap)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, cap, "--tts_wav %s is a directory", path);
            return false;
        }
        if (access(path, W_OK) != 0) {
            snprintf(err, cap, "cannot write --tts_wav %s: %s", path, strerror(errno));
            return false;
        }
        return true;
    }
    char *copy = strdup(path);
    if (!copy) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    const char *dir = dirname(copy);
    bool ok = access(dir, W_OK | X_OK) == 0;
    if (!ok)
        snprintf(err, cap, "cannot create --tts_wav %s: directory %s: %s", path, dir,
                 strerror(errno));
    free(copy);
    return ok;
}

static void make_request_id(char *buf, size_t cap)
{
    unsigned long r = (unsigned long)(retry_uniform() * 4294967296.0);
    snprintf(buf, cap, "cvc-%08lx-%ld", r, (long)getpid());
}

/* Builds and serializes the request; loads the prompt recording if the mode
 * needs one. Returns an exit code (EXIT_DONE on success). */
static int build_request(const client_options *o, uint8_t **buf, size_t *len)
{
    audio_pcm prompt = {0};
    /* instruct with --prompt_wav: instruct2 with that recording, no spk_id */
    const bool instruct2 = o->mode == TTS_MODE_INSTRUCT && o->prompt_wav;
    if (o->mode == TTS_MODE_ZERO_SHOT || o->mode == TTS_MODE_CROSS_LINGUAL || instruct2) {
        cv_status st = audio_file_load_mono(o->prompt_wav, TTS_PROMPT_RATE, &prompt);
        if (!cv_is_ok(&st)) {
            fprintf(stderr, PROG ": error: --prompt_wav: %s\n", st.message);
            return st.code == CV_RESOURCE_EXHAUSTED || st.code == CV_INTERNAL ? EXIT_INTERNAL
                                                                              : EXIT_USAGE;
        }
    }
    tts_request req = {
        .mode = o->mode,
        .tts_text = o->text_stdin ? (o->tts_text ? o->tts_text : "") : client_options_tts_text(o),
        .spk_id = instruct2 ? "" : o->spk_id,
        .prompt_text = o->mode == TTS_MODE_ZERO_SHOT ? o->prompt_text : "",
        .instruct_text = o->mode == TTS_MODE_INSTRUCT ? client_options_instruct_text(o) : "",
        .prompt_pcm = prompt.samples,
        .prompt_samples = prompt.n,
        .speed = o->speed,
        .stream = !o->no_stream,
        .request_id = "",
    };
    *buf = o->text_stdin ? wire_stream_request_encode(&req, NULL, 0, len)
                         : wire_request_encode(&req, len);
    audio_pcm_free(&prompt);
    if (!*buf) {
        fprintf(stderr, PROG ": error: out of memory encoding the request\n");
        return EXIT_INTERNAL;
    }
    return EXIT_DONE;
}

/* Runs attempts until one succeeds, fails for good, or delivers audio. */
static void run_with_retries(const client_options *o, const call_params *p, output *out,
                             call_result *r, int *attempts)
{
    for (int retry = 0;; retry++) {
        *attempts = retry + 1;
        call_run(p, on_chunk, out, r);
        if (r->local_error || !retry_should(r->code, r->chunks, retry, o->retries))
            return;
        double delay = retry_delay(retry + 1, retry_uniform());
        if (!o->quiet)
            fprintf(stderr, PROG ": attempt %d: %s (%s); retrying in %.2f s\n", retry + 1,
                    outcome_code_name(r->code), r->details, delay);
        retry_sleep(delay);
    }
}

static void print_summary(const call_result *r, const output *out,
                          int attempts, const char *request_id)
{
    int rate = out->rate;
    double audio_s = rate ? (double)r->samples / rate : 0.0;
    char played[64] = "";
    if (out->pb)
        snprintf(played, sizeof played, " played=%.2fs underruns=%zu",
                 playback_played_seconds(out->pb), playback_underruns(out->pb));
    fprintf(stderr,
            PROG ": first_chunk=%.3fs chunks=%zu audio=%.2fs total=%.3fs rtf=%.3f "
                 "rate=%d attempts=%d request_id=%s wav=%s%s\n",
            r->first_chunk_s, r->chunks, audio_s, r->total_s,
            audio_s > 0 ? r->total_s / audio_s : 0.0, rate, attempts, request_id,
            out->path ? out->path : "-", played);
}

int main(int argc, char **argv)
{
    client_options o;
    char err[512];
    switch (client_options_parse(argc, argv, &o, err, sizeof err)) {
    case OPTIONS_HELP:
        client_options_usage(stdout, PROG);
        return EXIT_DONE;
    case OPTIONS_VERSION:
        cv_print_versions(stdout, PROG);
        return EXIT_DONE;
    case OPTIONS_ERROR:
        fprintf(stderr, PROG ": error: %s\nTry '" PROG " --help' for the options.\n", err);
        return EXIT_USAGE;
    case OPTIONS_OK:
        break;
    }
    if (!o.no_wav && !output_writable(o.tts_wav, err, sizeof err)) {
        fprintf(stderr, PROG ": error: %s\n", err);
        return EXIT_USAGE;
    }
    uint8_t *req = NULL;
    size_t req_len = 0;
    int rc = build_request(&o, &req, &req_len);
    if (rc != EXIT_DONE)
        return rc;

    char target[300], request_id[64];
    client_options_target(&o, target, sizeof target);
    if (o.request_id)
        snprintf(request_id, sizeof request_id, "%s", o.request_id);
    else
        make_request_id(request_id, sizeof request_id);
    call_params p = {.target = target, .request = req, .request_len = req_len,
                     .request_id = request_id, .timeout_s = o.timeout_s,
                     .text_fd = o.text_stdin ? 0 : -1};
    if (o.text_stdin)
        o.retries = 0; /* the text is read once: a call cannot be made again */
    output out = {.path = o.no_wav ? NULL : o.tts_wav, .wav = NULL};
    if (o.play) { /* before grpc_init: see playback_create() */
        out.pb = playback_create(o.play_buffer_ms, err, sizeof err);
        if (!out.pb && o.no_wav) {
            fprintf(stderr, PROG ": error: %s, and --no-wav leaves nothing to do\n", err);
            free(req);
            return EXIT_INTERNAL;
        }
        if (!out.pb)
            fprintf(stderr, PROG ": warning: %s; not playing, writing %s only\n", err,
                    o.tts_wav);
    }
    call_result r;
    int attempts = 0;

    grpc_init();
    cv_status cst = client_tls_credentials(&o, &p.creds);
    if (!cv_is_ok(&cst)) {
        fprintf(stderr, PROG ": error: %s\n", cst.message);
        playback_destroy(out.pb);
        grpc_shutdown();
        free(req);
        return EXIT_USAGE;
    }
    p.tls_server_name = o.tls_server_name;
    run_with_retries(&o, &p, &out, &r, &attempts);
    playback_finish(out.pb); /* let the speaker catch up */
    grpc_channel_credentials_release(p.creds);
    grpc_shutdown();
    free(req);

    if (r.local_error) {
        rc = EXIT_INTERNAL;
        fprintf(stderr, PROG ": error: %s (request_id=%s)\n", r.local_message, request_id);
    } else {
        rc = outcome_exit_code(r.code, r.chunks);
        if (rc != EXIT_DONE) {
            char msg[1024];
            outcome_describe(r.code, r.details, target, o.timeout_s, msg, sizeof msg);
            if (rc == EXIT_PARTIAL)
                fprintf(stderr, PROG ": error: stream broke after %zu chunks: %s; %s%s "
                        "(request_id=%s)\n", r.chunks, msg, out.path ? out.path : "",
                        out.path ? " holds the audio received so far" : "the audio received "
                        "so far was played", request_id);
            else
                fprintf(stderr, PROG ": error: %s (request_id=%s, attempts=%d)\n", msg,
                        request_id, attempts);
            const char *hint = client_tls_hint(&o, r.code, r.details);
            if (hint && rc != EXIT_PARTIAL)
                fprintf(stderr, PROG ": hint: %s\n", hint);
        }
    }
    if (!o.quiet && (rc == EXIT_DONE || rc == EXIT_PARTIAL))
        print_summary(&r, &out, attempts, request_id);
    playback_destroy(out.pb);
    if (rc == EXIT_DONE && !out.wav && out.path) {
        /* The server finished without sending audio: still leave a valid
         * (empty) WAV so the output is what the caller asked for. */
        cv_status st = wav_writer_open(o.tts_wav, CALL_DEFAULT_SAMPLE_RATE, &out.wav);
        if (!cv_is_ok(&st)) {
            fprintf(stderr, PROG ": error: %s\n", st.message);
            rc = EXIT_INTERNAL;
        }
    }
    cv_status st = wav_writer_close(out.wav);
    if (!cv_is_ok(&st)) {
        fprintf(stderr, PROG ": error: %s\n", st.message);
        if (rc == EXIT_DONE)
            rc = EXIT_INTERNAL;
    }
    return rc;
}
