#include "audio/audio_file.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audio/resample.h"

/* Upper bound on a loaded recording (one hour at 192 kHz): protects against
 * absurd headers before allocating. */
#define AUDIO_FILE_MAX_FRAMES ((sf_count_t)192000 * 3600)

/* Reads every frame as float and averages the channels. */
static cv_status read_mono_float(SNDFILE *sf, const SF_INFO *info, const char *path,
                                 float **mono, size_t *n)
{
    size_t frames = (size_t)info->frames, ch = (size_t)info->channels;
    float *inter = malloc(frames * ch * sizeof *inter);
    float *m = malloc(frames * sizeof *m);
    if (!inter || !m) {
        free(inter);
        free(m);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory reading %s", path);
    }
    sf_count_t got = sf_readf_float(sf, inter, (sf_count_t)frames);
    if (got <= 0) {
        free(inter);
        free(m);
        return cv_error(CV_INVALID_ARGUMENT, "cannot read audio from %s: %s", path,
                        sf_strerror(sf));
    }
    for (size_t i = 0; i < (size_t)got; i++) {
        double acc = 0;
        for (size_t c = 0; c < ch; c++)
            acc += inter[i * ch + c];
        m[i] = (float)(acc / (double)ch);
    }
    free(inter);
    *mono = m;
    *n = (size_t)got;
    return cv_ok();
}

cv_status audio_file_load_mono(const char *path, int target_rate, audio_pcm *out)
{
    memset(out, 0, sizeof *out);
    if (target_rate <= 0)
        return cv_error(CV_INVALID_ARGUMENT, "invalid target sample rate %d", target_rate);
    struct stat stbuf;
    if (stat(path, &stbuf) != 0)
        return cv_error(errno == ENOENT ? CV_NOT_FOUND : CV_INVALID_ARGUMENT,
                        "cannot open %s: %s", path, strerror(errno));
    if (S_ISDIR(stbuf.st_mode))
        return cv_error(CV_INVALID_ARGUMENT, "%s is a directory, not an audio file", path);

    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        return cv_error(CV_INVALID_ARGUMENT, "cannot read %s as audio: %s", path,
                        sf_strerror(NULL));
    cv_status st = cv_ok();
    if (info.frames <= 0 || info.channels <= 0 || info.samplerate <= 0)
        st = cv_error(CV_INVALID_ARGUMENT, "%s contains no audio", path);
    else if (info.frames > AUDIO_FILE_MAX_FRAMES)
        st = cv_error(CV_INVALID_ARGUMENT, "%s is too long (%lld frames)", path,
                      (long long)info.frames);
    float *mono = NULL;
    size_t n = 0;
    if (cv_is_ok(&st)) {
        /* Normalized float reads give [-1, 1] for every integer format. */
        sf_command(sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
        st = read_mono_float(sf, &info, path, &mono, &n);
    }
    sf_close(sf);
    if (!cv_is_ok(&st))
        return st;

    size_t m = 0;
    float *res = resample_float(mono, n, info.samplerate, target_rate, &m);
    free(mono);
    if (!res)
        return cv_error(CV_INTERNAL, "cannot resample %s from %d Hz to %d Hz", path,
                        info.samplerate, target_rate);
    int16_t *pcm = malloc((m ? m : 1) * sizeof *pcm);
    if (!pcm) {
        free(res);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory reading %s", path);
    }
    for (size_t i = 0; i < m; i++) {
        float v = res[i] * 32768.0f;
        pcm[i] = (int16_t)(v >= 32767.f ? 32767 : v <= -32768.f ? -32768 : lrintf(v));
    }
    free(res);
    out->samples = pcm;
    out->n = m;
    out->sample_rate = target_rate;
    out->source_rate = info.samplerate;
    out->source_channels = info.channels;
    return cv_ok();
}

void audio_pcm_free(audio_pcm *p)
{
    free(p->samples);
    memset(p, 0, sizeof *p);
}
