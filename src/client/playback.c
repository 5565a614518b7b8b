#include "client/playback.h"

#include <fcntl.h>
#include <portaudio.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "audio/playback_ring.h"

#define RING_SECONDS 60 /* how far the network may run ahead of the speaker */

struct playback {
    int buffer_ms;
    int rate;
    PaDeviceIndex device;
    PaStream *stream;
    playback_ring ring;
    bool ring_ready;
    bool finished;
};

/* Runs on PortAudio's audio thread: never blocks, never allocates. */
static int on_audio(const void *in, void *out, unsigned long frames,
                    const PaStreamCallbackTimeInfo *time, PaStreamCallbackFlags flags,
                    void *user)
{
    (void)in, (void)time, (void)flags;
    playback *p = user;
    playback_ring_read(&p->ring, out, frames);
    /* paComplete lets the device play out its last buffer, then stop. */
    return playback_ring_drained(&p->ring) ? paComplete : paContinue;
}

/* Runs fn with stderr pointed at /dev/null. */
static PaError quietly(PaError (*fn)(void))
{
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null >= 0)
        dup2(null, 2);
    PaError e = fn();
    if (saved >= 0) {
        dup2(saved, 2);
        close(saved);
    }
    if (null >= 0)
        close(null);
    return e;
}

playback *playback_create(int buffer_ms, char *err, size_t errcap)
{
    PaError e = quietly(Pa_Initialize);
    if (e != paNoError) {
        snprintf(err, errcap, "cannot initialize audio output: %s", Pa_GetErrorText(e));
        return NULL;
    }
    PaDeviceIndex dev = Pa_GetDefaultOutputDevice();
    if (dev == paNoDevice) {
        snprintf(err, errcap, "no audio output device found");
        Pa_Terminate();
        return NULL;
    }
    playback *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errcap, "out of memory");
        Pa_Terminate();
        return NULL;
    }
    p->buffer_ms = buffer_ms;
    p->device = dev;
    return p;
}

bool playback_started(const playback *p) { return p && p->stream; }

cv_status playback_start(playback *p, int sample_rate)
{
    size_t threshold = (size_t)sample_rate * (size_t)p->buffer_ms / 1000;
    size_t cap = (size_t)sample_rate * RING_SECONDS;
    if (cap < 2 * threshold)
        cap = 2 * threshold;
    if (playback_ring_init(&p->ring, cap, threshold) != 0)
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory for the playback buffer");
    p->ring_ready = true;
    p->rate = sample_rate;
    const PaDeviceInfo *info = Pa_GetDeviceInfo(p->device);
    PaStreamParameters out = {
        .device = p->device,
        .channelCount = 1,
        .sampleFormat = paInt16,
        .suggestedLatency = info ? info->defaultLowOutputLatency : 0.05,
    };
    PaError e = Pa_OpenStream(&p->stream, NULL, &out, sample_rate, paFramesPerBufferUnspecified,
                              paNoFlag, on_audio, p);
    if (e == paNoError) {
        e = Pa_StartStream(p->stream);
        if (e != paNoError) {
            Pa_CloseStream(p->stream);
            p->stream = NULL;
        }
    } else {
        p->stream = NULL;
    }
    if (e != paNoError)
        return cv_error(CV_UNAVAILABLE, "cannot play on '%s' at %d Hz: %s",
                        info ? info->name : "default device", sample_rate, Pa_GetErrorText(e));
    return cv_ok();
}

cv_status playback_write(playback *p, const int16_t *pcm, size_t n)
{
    size_t done = 0;
    for (;;) {
        done += playback_ring_write(&p->ring, pcm + done, n - done);
        if (done == n)
            return cv_ok();
        /* Full: the speaker is a minute behind. Wait for it, unless the
         * device has stopped pulling (then nobody will make room). */
        if (Pa_IsStreamActive(p->stream) != 1)
            return cv_error(CV_UNAVAILABLE, "the audio device stopped playing");
        Pa_Sleep(10);
    }
}

void playback_finish(playback *p)
{
    if (!p || !p->stream || p->finished)
        return;
    p->finished = true;
    playback_ring_finish(&p->ring);
    /* Bounded: what is buffered, plus the device's own latency and slack. */
    const PaStreamInfo *si = Pa_GetStreamInfo(p->stream);
    double left = (double)playback_ring_buffered(&p->ring) / p->rate +
                  (double)p->buffer_ms / 1000 + (si ? si->outputLatency : 0) + 2.0;
    for (double waited = 0; Pa_IsStreamActive(p->stream) == 1 && waited < left; waited += 0.01)
        Pa_Sleep(10);
    if (Pa_IsStreamActive(p->stream) == 1)
        Pa_AbortStream(p->stream);
    else
        Pa_StopStream(p->stream);
}

double playback_played_seconds(const playback *p)
{
    if (!p || !p->ring_ready)
        return 0;
    return (double)playback_ring_played((playback_ring *)&p->ring) / p->rate;
}

size_t playback_underruns(const playback *p)
{
    return p && p->ring_ready ? playback_ring_underruns((playback_ring *)&p->ring) : 0;
}

void playback_destroy(playback *p)
{
    if (!p)
        return;
    if (p->stream) {
        if (Pa_IsStreamStopped(p->stream) == 0)
            Pa_AbortStream(p->stream);
        Pa_CloseStream(p->stream);
    }
    if (p->ring_ready)
        playback_ring_free(&p->ring);
    Pa_Terminate();
    free(p);
}
