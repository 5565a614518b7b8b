#include "audio/wav_writer.h"

#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

struct wav_writer {
    SNDFILE *sf;
    char *path; /* for error messages */
    int sample_rate;
    size_t frames;
};

cv_status wav_writer_open(const char *path, int sample_rate, wav_writer **out)
{
    *out = NULL;
    if (sample_rate <= 0)
        return cv_error(CV_INVALID_ARGUMENT, "invalid WAV sample rate %d", sample_rate);
    SF_INFO info = {.samplerate = sample_rate, .channels = 1,
                    .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf)
        return cv_error(CV_UNKNOWN, "cannot create %s: %s", path, sf_strerror(NULL));
    wav_writer *w = calloc(1, sizeof *w);
    char *p = w ? strdup(path) : NULL;
    if (!p) {
        free(w);
        sf_close(sf);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    w->sf = sf;
    w->path = p;
    w->sample_rate = sample_rate;
    /* libsndfile writes the header lazily; write it now so even a file that
     * never receives audio is a valid (empty) WAV. */
    sf_command(sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
    *out = w;
    return cv_ok();
}

cv_status wav_writer_write(wav_writer *w, const int16_t *pcm, size_t n)
{
    if (n == 0)
        return cv_ok();
    sf_count_t done = sf_write_short(w->sf, pcm, (sf_count_t)n);
    if (done > 0)
        w->frames += (size_t)done;
    /* Patch the RIFF/data sizes now: costs two small writes per chunk and
     * keeps the file valid if nothing else ever arrives. */
    sf_command(w->sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
    if (done != (sf_count_t)n)
        return cv_error(CV_UNKNOWN, "cannot write to %s: %s", w->path, sf_strerror(w->sf));
    return cv_ok();
}

size_t wav_writer_frames(const wav_writer *w) { return w->frames; }

int wav_writer_sample_rate(const wav_writer *w) { return w->sample_rate; }

cv_status wav_writer_close(wav_writer *w)
{
    if (!w)
        return cv_ok();
    cv_status st = cv_ok();
    if (sf_close(w->sf) != 0)
        st = cv_error(CV_UNKNOWN, "cannot finish %s: %s", w->path, sf_strerror(NULL));
    free(w->path);
    free(w);
    return st;
}
