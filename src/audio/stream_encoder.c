#include "audio/stream_encoder.h"

#include <sndfile.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *mime;
    int sf_format; /* 0: raw PCM written here, no libsndfile */
} g_formats[AUDIO_FMT_COUNT] = {
    [AUDIO_FMT_PCM] = {"pcm", "audio/pcm", 0},
    [AUDIO_FMT_WAV] = {"wav", "audio/wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16},
    [AUDIO_FMT_FLAC] = {"flac", "audio/flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
    [AUDIO_FMT_MP3] = {"mp3", "audio/mpeg", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III},
    [AUDIO_FMT_OPUS] = {"opus", "audio/ogg", SF_FORMAT_OGG | SF_FORMAT_OPUS},
};

int audio_format_parse(const char *name)
{
    for (int i = 0; i < AUDIO_FMT_COUNT; i++)
        if (name && strcmp(name, g_formats[i].name) == 0)
            return i;
    return -1;
}

const char *audio_format_name(audio_format f) { return g_formats[f].name; }
const char *audio_format_mime(audio_format f) { return g_formats[f].mime; }
const char *audio_format_list(void) { return "pcm, wav, flac, mp3, opus"; }

struct stream_encoder {
    audio_format fmt;
    int in_rate, out_rate;
    soxr_t soxr;     /* NULL when no resampling is needed */
    SNDFILE *sf;     /* NULL for raw PCM */
    bool finished;
    bool taken;      /* some bytes have left: header rewrites are dropped */
    /* The virtual file: bytes [0, base) were taken; buf holds [base, base+len). */
    uint8_t *buf;
    size_t len, cap;
    sf_count_t base, pos, size;
    bool oom;
};

/* ------------------------------------------------- libsndfile virtual file */

static sf_count_t vf_size(void *u) { return ((stream_encoder *)u)->size; }

static sf_count_t vf_seek(sf_count_t off, int whence, void *u)
{
    stream_encoder *e = u;
    sf_count_t p = whence == SEEK_SET ? off : whence == SEEK_CUR ? e->pos + off : e->size + off;
    if (p < 0)
        return -1;
    e->pos = p;
    return p;
}

static sf_count_t vf_tell(void *u) { return ((stream_encoder *)u)->pos; }

static sf_count_t vf_read(void *ptr, sf_count_t n, void *u)
{
    stream_encoder *e = u;
    sf_count_t end = e->base + (sf_count_t)e->len;
    if (e->pos < e->base || e->pos >= end)
        return 0; /* bytes already taken cannot be read back */
    if (n > end - e->pos)
        n = end - e->pos;
    memcpy(ptr, e->buf + (e->pos - e->base), (size_t)n);
    e->pos += n;
    return n;
}

static sf_count_t vf_write(const void *ptr, sf_count_t n, void *u)
{
    stream_encoder *e = u;
    const uint8_t *p = ptr;
    sf_count_t at = e->pos, count = n;
    if (at < e->base) { /* a rewrite of bytes already sent: drop that part */
        sf_count_t skip = e->base - at < count ? e->base - at : count;
        p += skip;
        at += skip;
        count -= skip;
    }
    if (count > 0) {
        size_t off = (size_t)(at - e->base), need = off + (size_t)count;
        if (need > e->cap) {
            size_t cap = e->cap ? e->cap : 4096;
            while (cap < need)
                cap *= 2;
            uint8_t *b = realloc(e->buf, cap);
            if (!b) {
                e->oom = true;
                return 0;
            }
            e->buf = b;
            e->cap = cap;
        }
        if (off > e->len) /* a write past the end leaves a hole of zeros */
            memset(e->buf + e->len, 0, off - e->len);
        memcpy(e->buf + off, p, (size_t)count);
        if (need > e->len)
            e->len = need;
    }
    e->pos += n;
    if (e->pos > e->size)
        e->size = e->pos;
    return n;
}

/* ------------------------------------------------------------ the encoder */

static bool opus_rate_ok(int r) { return r == 8000 || r == 12000 || r == 16000 || r == 24000 || r == 48000; }

cv_status stream_encoder_open(audio_format f, int in_rate, int out_rate, stream_encoder **out)
{
    *out = NULL;
    if ((unsigned)f >= AUDIO_FMT_COUNT || in_rate <= 0 || out_rate < 0)
        return cv_error(CV_INVALID_ARGUMENT, "stream encoder: bad format or rate");
    if (out_rate == 0)
        out_rate = in_rate;
    if (f == AUDIO_FMT_OPUS && !opus_rate_ok(out_rate))
        out_rate = out_rate > 24000 ? 48000 : 24000;
    stream_encoder *e = calloc(1, sizeof *e);
    if (!e)
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    e->fmt = f;
    e->in_rate = in_rate;
    e->out_rate = out_rate;
    if (out_rate != in_rate) {
        soxr_error_t err;
        soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        e->soxr = soxr_create(in_rate, out_rate, 1, &err, &io, &q, NULL);
        if (!e->soxr) {
            free(e);
            return cv_error(CV_INTERNAL, "cannot resample %d Hz to %d Hz: %s", in_rate,
                            out_rate, err);
        }
    }
    if (g_formats[f].sf_format) {
        SF_VIRTUAL_IO io = {vf_size, vf_seek, vf_read, vf_write, vf_tell};
        SF_INFO info = {.samplerate = out_rate, .channels = 1, .format = g_formats[f].sf_format};
        e->sf = sf_open_virtual(&io, SFM_WRITE, &info, e);
        if (!e->sf) {
            cv_status st = cv_error(CV_INTERNAL, "libsndfile cannot write %s at %d Hz: %s",
                                    g_formats[f].name, out_rate, sf_strerror(NULL));
            stream_encoder_free(e);
            return st;
        }
        if (f == AUDIO_FMT_MP3) {
            /* Constant bit rate: LAME's VBR info frame, which tells readers
             * the length of a VBR stream, is only written at the end, when
             * the start has long been sent; a CBR stream's length follows
             * from its size. */
            int mode = SF_BITRATE_MODE_CONSTANT;
            sf_command(e->sf, SFC_SET_BITRATE_MODE, &mode, sizeof mode);
        }
        if (f == AUDIO_FMT_OPUS) {
            /* Ogg pages of ~100 ms instead of ~1 s, so a streamed listener
             * hears the start of the speech early. */
            double ms = 100;
            sf_command(e->sf, SFC_SET_OGG_PAGE_LATENCY_MS, &ms, sizeof ms);
        }
        sf_command(e->sf, SFC_UPDATE_HEADER_NOW, NULL, 0);
    }
    *out = e;
    return cv_ok();
}

int stream_encoder_rate(const stream_encoder *e) { return e->out_rate; }

static cv_status encode(stream_encoder *e, const int16_t *pcm, size_t n)
{
    if (n == 0)
        return cv_ok();
    if (e->sf) {
        if (sf_write_short(e->sf, pcm, (sf_count_t)n) != (sf_count_t)n || e->oom)
            return cv_error(CV_INTERNAL, "%s encoder: %s", g_formats[e->fmt].name,
                            e->oom ? "out of memory" : sf_strerror(e->sf));
        return cv_ok();
    }
    /* Raw PCM: little-endian whatever the host's byte order. */
    uint8_t *tmp = malloc(2 * n);
    if (!tmp)
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < n; i++) {
        tmp[2 * i] = (uint8_t)((uint16_t)pcm[i] & 0xff);
        tmp[2 * i + 1] = (uint8_t)((uint16_t)pcm[i] >> 8);
    }
    vf_write(tmp, (sf_count_t)(2 * n), e);
    free(tmp);
    return e->oom ? cv_error(CV_RESOURCE_EXHAUSTED, "out of memory") : cv_ok();
}

/* Runs n input samples (NULL: the end) through the resampler into the codec. */
static cv_status resample_encode(stream_encoder *e, const int16_t *pcm, size_t n)
{
    int16_t out[4096];
    size_t used_total = 0;
    for (;;) {
        size_t idone = 0, odone = 0;
        soxr_error_t err = soxr_process(e->soxr, pcm ? pcm + used_total : NULL,
                                        pcm ? n - used_total : 0, &idone, out,
                                        sizeof out / sizeof out[0], &odone);
        if (err)
            return cv_error(CV_INTERNAL, "resampling failed: %s", err);
        used_total += idone;
        cv_status st = encode(e, out, odone);
        if (!cv_is_ok(&st))
            return st;
        /* More input left, or the output buffer was filled: go on. */
        if (pcm ? used_total >= n && odone < sizeof out / sizeof out[0] : odone == 0)
            return cv_ok();
    }
}

cv_status stream_encoder_write(stream_encoder *e, const int16_t *pcm, size_t n)
{
    if (e->finished)
        return cv_error(CV_INTERNAL, "stream encoder: write after finish");
    if (n == 0)
        return cv_ok();
    return e->soxr ? resample_encode(e, pcm, n) : encode(e, pcm, n);
}

cv_status stream_encoder_finish(stream_encoder *e)
{
    if (e->finished)
        return cv_ok();
    cv_status st = e->soxr ? resample_encode(e, NULL, 0) : cv_ok();
    e->finished = true;
    if (e->sf) {
        int r = sf_close(e->sf);
        e->sf = NULL;
        if (cv_is_ok(&st) && (r != 0 || e->oom))
            st = cv_error(CV_INTERNAL, "%s encoder: cannot finish the stream",
                          g_formats[e->fmt].name);
    }
    return st;
}

/* A WAV header about to leave before the end: mark both sizes unknown. */
static void wav_mark_unknown_length(stream_encoder *e)
{
    static const uint8_t ff[4] = {0xff, 0xff, 0xff, 0xff};
    if (e->len < 12 || memcmp(e->buf, "RIFF", 4) != 0)
        return;
    memcpy(e->buf + 4, ff, 4);
    for (size_t i = 12; i + 8 <= e->len && i < 1024;) {
        uint32_t sz = (uint32_t)e->buf[i + 4] | (uint32_t)e->buf[i + 5] << 8 |
                      (uint32_t)e->buf[i + 6] << 16 | (uint32_t)e->buf[i + 7] << 24;
        if (memcmp(e->buf + i, "data", 4) == 0) {
            memcpy(e->buf + i + 4, ff, 4);
            return;
        }
        i += 8 + (size_t)sz + (sz & 1);
    }
}

uint8_t *stream_encoder_take(stream_encoder *e, size_t *len)
{
    *len = 0;
    if (e->len == 0)
        return NULL;
    if (!e->taken && !e->finished && e->fmt == AUDIO_FMT_WAV)
        wav_mark_unknown_length(e);
    uint8_t *b = e->buf;
    *len = e->len;
    e->base += (sf_count_t)e->len;
    e->buf = NULL;
    e->len = e->cap = 0;
    e->taken = true;
    return b;
}

void stream_encoder_free(stream_encoder *e)
{
    if (!e)
        return;
    if (e->sf)
        sf_close(e->sf);
    if (e->soxr)
        soxr_delete(e->soxr);
    free(e->buf);
    free(e);
}
