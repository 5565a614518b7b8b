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

/* Reads every frame as float and averages the channels. Reads in blocks
 * and grows the buffer, so a header that lies about its length costs only
 * what the data really holds. */
static cv_status read_mono_float(SNDFILE *sf, const SF_INFO *info, const char *name,
                                 float **mono, size_t *n)
{
    enum { BLOCK = 16384 };
    size_t ch = (size_t)info->channels, cap = 0, len = 0;
    float *inter = malloc(BLOCK * ch * sizeof *inter);
    float *m = NULL;
    if (!inter)
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory reading %s", name);
    for (;;) {
        sf_count_t got = sf_readf_float(sf, inter, BLOCK);
        if (got <= 0)
            break;
        if (len + (size_t)got > (size_t)AUDIO_FILE_MAX_FRAMES) {
            free(inter);
            free(m);
            return cv_error(CV_INVALID_ARGUMENT, "%s is too long", name);
        }
        if (len + (size_t)got > cap) {
            cap = cap ? cap * 2 : BLOCK;
            float *bigger = realloc(m, cap * sizeof *m);
            if (!bigger) {
                free(inter);
                free(m);
                return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory reading %s", name);
            }
            m = bigger;
        }
        for (size_t i = 0; i < (size_t)got; i++) {
            double acc = 0;
            for (size_t c = 0; c < ch; c++)
                acc += inter[i * ch + c];
            float v = (float)(acc / (double)ch);
            m[len + i] = isfinite(v) ? v : 0.0f;
        }
        len += (size_t)got;
    }
    free(inter);
    if (len == 0) {
        free(m);
        return cv_error(CV_INVALID_ARGUMENT, "cannot read audio from %s: %s", name,
                        sf_strerror(sf));
    }
    *mono = m;
    *n = len;
    return cv_ok();
}

static cv_status check_format(const SF_INFO *info, const char *name)
{
    if (info->frames <= 0 || info->channels <= 0 || info->samplerate <= 0)
        return cv_error(CV_INVALID_ARGUMENT, "%s contains no audio", name);
    if (info->channels > 256 || info->samplerate < 4000 || info->samplerate > 768000)
        return cv_error(CV_INVALID_ARGUMENT, "%s has an implausible format (%d channels, %d Hz)",
                        name, info->channels, info->samplerate);
    return cv_ok();
}

/* Everything after opening: checks, reading, mixing, resampling. Closes sf. */
static cv_status load_open_file(SNDFILE *sf, const SF_INFO *info, const char *name,
                                int target_rate, audio_pcm *out)
{
    cv_status st = check_format(info, name);
    float *mono = NULL;
    size_t n = 0;
    if (cv_is_ok(&st)) {
        /* Normalized float reads give [-1, 1] for every integer format. */
        sf_command(sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
        st = read_mono_float(sf, info, name, &mono, &n);
    }
    sf_close(sf);
    if (!cv_is_ok(&st))
        return st;

    size_t m = 0;
    float *res = resample_float(mono, n, info->samplerate, target_rate, &m);
    free(mono);
    if (!res)
        return cv_error(CV_INTERNAL, "cannot resample %s from %d Hz to %d Hz", name,
                        info->samplerate, target_rate);
    if (m == 0) { /* a few frames at a high rate: nothing left at target_rate */
        free(res);
        return cv_error(CV_INVALID_ARGUMENT, "%s is too short: no samples at %d Hz", name,
                        target_rate);
    }
    int16_t *pcm = malloc((m ? m : 1) * sizeof *pcm);
    if (!pcm) {
        free(res);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory reading %s", name);
    }
    for (size_t i = 0; i < m; i++) {
        float v = res[i] * 32768.0f;
        pcm[i] = (int16_t)(v >= 32767.f ? 32767 : v <= -32768.f ? -32768 : lrintf(v));
    }
    free(res);
    out->samples = pcm;
    out->n = m;
    out->sample_rate = target_rate;
    out->source_rate = info->samplerate;
    out->source_channels = info->channels;
    return cv_ok();
}

static cv_status open_path(const char *path, SNDFILE **sf, SF_INFO *info)
{
    struct stat stbuf;
    if (stat(path, &stbuf) != 0)
        return cv_error(errno == ENOENT ? CV_NOT_FOUND : CV_INVALID_ARGUMENT,
                        "cannot open %s: %s", path, strerror(errno));
    if (S_ISDIR(stbuf.st_mode))
        return cv_error(CV_INVALID_ARGUMENT, "%s is a directory, not an audio file", path);
    memset(info, 0, sizeof *info);
    *sf = sf_open(path, SFM_READ, info);
    if (!*sf)
        return cv_error(CV_INVALID_ARGUMENT, "cannot read %s as audio: %s", path,
                        sf_strerror(NULL));
    return cv_ok();
}

cv_status audio_file_load_mono(const char *path, int target_rate, audio_pcm *out)
{
    memset(out, 0, sizeof *out);
    if (target_rate <= 0)
        return cv_error(CV_INVALID_ARGUMENT, "invalid target sample rate %d", target_rate);
    SNDFILE *sf = NULL;
    SF_INFO info;
    cv_status st = open_path(path, &sf, &info);
    if (!cv_is_ok(&st)) return st;
    return load_open_file(sf, &info, path, target_rate, out);
}

cv_status audio_file_load_float(const char *path, float **x, size_t *n, int *rate)
{
    *x = NULL;
    *n = 0;
    *rate = 0;
    SNDFILE *sf = NULL;
    SF_INFO info;
    cv_status st = open_path(path, &sf, &info);
    if (!cv_is_ok(&st)) return st;
    st = check_format(&info, path);
    if (cv_is_ok(&st)) {
        sf_command(sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
        st = read_mono_float(sf, &info, path, x, n);
    }
    sf_close(sf);
    if (cv_is_ok(&st)) *rate = info.samplerate;
    return st;
}

/* libsndfile virtual I/O over a read-only memory block. */
typedef struct mem_file {
    const unsigned char *data;
    sf_count_t len, pos;
} mem_file;

static sf_count_t mem_len(void *u) { return ((mem_file *)u)->len; }

static sf_count_t mem_seek(sf_count_t off, int whence, void *u)
{
    mem_file *f = u;
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : f->len;
    sf_count_t to = base + off;
    if (to < 0 || to > f->len)
        return -1;
    f->pos = to;
    return to;
}

static sf_count_t mem_read(void *ptr, sf_count_t count, void *u)
{
    mem_file *f = u;
    if (count < 0)
        return 0;
    sf_count_t n = f->len - f->pos < count ? f->len - f->pos : count;
    memcpy(ptr, f->data + f->pos, (size_t)n);
    f->pos += n;
    return n;
}

static sf_count_t mem_write(const void *ptr, sf_count_t count, void *u)
{
    (void)ptr, (void)count, (void)u;
    return 0;
}

static sf_count_t mem_tell(void *u) { return ((mem_file *)u)->pos; }

cv_status audio_file_load_mono_memory(const void *data, size_t len, const char *name,
                                      int target_rate, audio_pcm *out)
{
    memset(out, 0, sizeof *out);
    if (target_rate <= 0)
        return cv_error(CV_INVALID_ARGUMENT, "invalid target sample rate %d", target_rate);
    SF_VIRTUAL_IO io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    mem_file f = {data, (sf_count_t)len, 0};
    SF_INFO info = {0};
    SNDFILE *sf = sf_open_virtual(&io, SFM_READ, &info, &f);
    if (!sf)
        return cv_error(CV_INVALID_ARGUMENT, "cannot read %s as audio: %s", name,
                        sf_strerror(NULL));
    return load_open_file(sf, &info, name, target_rate, out);
}

void audio_pcm_free(audio_pcm *p)
{
    free(p->samples);
    memset(p, 0, sizeof *p);
}
