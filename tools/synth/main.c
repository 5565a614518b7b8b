/* cosyvoice-synth: runs an engine directly on text, without the server, and
 * writes a WAV file. For benchmarks and for listening.
 *
 *   cosyvoice-synth [--engine espeak] [--model-dir DIR] [--mode sft|zero_shot|
 *       cross_lingual|instruct] [--spk ID] [--prompt-wav F] [--prompt-text T]
 *       [--instruct T] [--speed X] [--no-stream] [--list-speakers]
 *       -o out.wav TEXT */
#include <getopt.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/resample.h"
#include "common/log.h"
#include "engine/engine.h"
#include "engine/validate.h"

typedef struct file_sink {
    tts_sink base;
    SNDFILE *f;
    size_t samples, writes;
    double first_write_s;
    struct timespec t0;
} file_sink;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static bool fs_write(tts_sink *s, const int16_t *pcm, size_t n)
{
    file_sink *fs = (file_sink *)s;
    if (fs->writes++ == 0)
        fs->first_write_s = since(&fs->t0);
    fs->samples += n;
    return sf_write_short(fs->f, pcm, (sf_count_t)n) == (sf_count_t)n;
}

static bool fs_cancelled(tts_sink *s)
{
    (void)s;
    return false;
}

/* Reads a WAV (any rate, channels mixed down) as 16 kHz s16 mono. */
static int16_t *read_prompt(const char *path, size_t *n_out)
{
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        fprintf(stderr, "cannot open %s: %s\n", path, sf_strerror(NULL));
        return NULL;
    }
    size_t frames = (size_t)info.frames;
    float *inter = malloc((frames * (size_t)info.channels + 1) * sizeof *inter);
    float *mono = malloc((frames + 1) * sizeof *mono);
    if (!inter || !mono) {
        free(inter);
        free(mono);
        sf_close(f);
        return NULL;
    }
    frames = (size_t)sf_readf_float(f, inter, (sf_count_t)frames);
    sf_close(f);
    for (size_t i = 0; i < frames; i++) {
        float s = 0;
        for (int c = 0; c < info.channels; c++)
            s += inter[i * (size_t)info.channels + (size_t)c];
        mono[i] = s / (float)info.channels;
    }
    free(inter);
    size_t m;
    float *r = resample_float(mono, frames, info.samplerate, TTS_PROMPT_RATE, &m);
    free(mono);
    if (!r)
        return NULL;
    int16_t *out = malloc((m + 1) * sizeof *out);
    for (size_t i = 0; out && i < m; i++) {
        float v = r[i] * 32768.0f;
        out[i] = (int16_t)(v > 32767.f ? 32767 : v < -32768.f ? -32768 : v);
    }
    free(r);
    *n_out = m;
    return out;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cosyvoice-synth [--engine NAME] [--model-dir DIR] [--mode MODE]\n"
            "         [--spk ID] [--prompt-wav WAV] [--prompt-text TEXT] [--instruct TEXT]\n"
            "         [--speed X] [--no-stream] [--list-speakers] [-v] -o OUT.wav TEXT\n"
            "Runs an engine directly on TEXT, without the server, and writes a WAV file.\n"
            "modes: sft (default), zero_shot, cross_lingual, instruct\n");
}

int main(int argc, char **argv)
{
    const char *engine_name = "espeak", *model_dir = "", *out_path = NULL;
    const char *spk = "中文女", *prompt_wav = NULL, *prompt_text = "", *instruct = "";
    int mode = TTS_MODE_SFT;
    float speed = 1.0f;
    bool stream = true, list = false;
    static const struct option opts[] = {
        {"engine", required_argument, 0, 'e'},     {"model-dir", required_argument, 0, 'd'},
        {"mode", required_argument, 0, 'm'},       {"spk", required_argument, 0, 's'},
        {"prompt-wav", required_argument, 0, 'w'}, {"prompt-text", required_argument, 0, 'p'},
        {"instruct", required_argument, 0, 'i'},   {"speed", required_argument, 0, 'x'},
        {"no-stream", no_argument, 0, 'n'},        {"list-speakers", no_argument, 0, 'l'},
        {"output", required_argument, 0, 'o'},     {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "o:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'e': engine_name = optarg; break;
        case 'd': model_dir = optarg; break;
        case 'm':
            mode = tts_mode_parse(optarg);
            if (mode < 0) {
                fprintf(stderr, "unknown mode '%s'\n", optarg);
                return 2;
            }
            break;
        case 's': spk = optarg; break;
        case 'w': prompt_wav = optarg; break;
        case 'p': prompt_text = optarg; break;
        case 'i': instruct = optarg; break;
        case 'x': speed = strtof(optarg, NULL); break;
        case 'n': stream = false; break;
        case 'l': list = true; break;
        case 'o': out_path = optarg; break;
        case 'v': cv_log_set_level(CV_LOG_DEBUG); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    engine_options eo = {.model_dir = model_dir};
    engine *eng = NULL;
    cv_status st = engine_open(engine_name, &eo, &eng);
    if (!cv_is_ok(&st)) {
        fprintf(stderr, "%s: %s\n", cv_code_name(st.code), st.message);
        return 1;
    }
    if (list) {
        for (size_t i = 0; i < eng->ops->speaker_count(eng); i++)
            printf("%s\n", eng->ops->speaker_name(eng, i));
        engine_close(eng);
        return 0;
    }
    if (optind != argc - 1 || !out_path) {
        usage(stderr);
        engine_close(eng);
        return 2;
    }
    int16_t *prompt = NULL;
    size_t prompt_n = 0;
    if (prompt_wav && !(prompt = read_prompt(prompt_wav, &prompt_n))) {
        engine_close(eng);
        return 1;
    }
    tts_request req = {.mode = (tts_mode)mode, .tts_text = argv[optind], .spk_id = spk,
                       .prompt_text = prompt_text, .instruct_text = instruct,
                       .prompt_pcm = prompt, .prompt_samples = prompt_n, .speed = speed,
                       .stream = stream, .request_id = "synth"};
    if (mode == TTS_MODE_ZERO_SHOT || mode == TTS_MODE_CROSS_LINGUAL)
        req.spk_id = "";
    tts_limits lim = {TTS_DEFAULT_MAX_TEXT, TTS_DEFAULT_MAX_PROMPT_SECONDS};
    st = tts_request_validate(&req, &lim);
    if (cv_is_ok(&st))
        st = eng->ops->check(eng, &req);
    int rc = 1;
    if (cv_is_ok(&st)) {
        SF_INFO info = {.samplerate = eng->ops->sample_rate(eng), .channels = 1,
                        .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
        file_sink fs = {.base = {fs_write, fs_cancelled}};
        clock_gettime(CLOCK_MONOTONIC, &fs.t0);
        fs.f = sf_open(out_path, SFM_WRITE, &info);
        if (!fs.f) {
            fprintf(stderr, "cannot write %s: %s\n", out_path, sf_strerror(NULL));
        } else {
            st = eng->ops->synthesize(eng, &req, &fs.base);
            sf_close(fs.f);
            double total = since(&fs.t0);
            double audio = (double)fs.samples / info.samplerate;
            fprintf(stderr,
                    "%s: %.2f s of audio in %zu writes; first audio after %.3f s, "
                    "total %.3f s (RTF %.3f)\n",
                    out_path, audio, fs.writes, fs.first_write_s, total,
                    audio > 0 ? total / audio : 0.0);
            rc = cv_is_ok(&st) ? 0 : 1;
        }
    }
    if (!cv_is_ok(&st))
        fprintf(stderr, "%s: %s\n", cv_code_name(st.code), st.message);
    free(prompt);
    engine_close(eng);
    return rc;
}
