/* Loading a recording from disk as mono 16-bit PCM at a chosen rate.
 *
 * Accepts anything libsndfile reads (WAV, FLAC, Ogg/Vorbis, Opus, AIFF, ...),
 * any sample rate and channel count: channels are averaged to mono and the
 * result is resampled with libsoxr. The client uses it for prompt recordings
 * (16 kHz, as the wire contract requires); servers or tools may reuse it. */
#ifndef CV_AUDIO_FILE_H
#define CV_AUDIO_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

typedef struct audio_pcm {
    int16_t *samples; /* malloc'ed; free with audio_pcm_free */
    size_t n;
    int sample_rate;      /* rate of samples (the requested rate) */
    int source_rate;      /* rate of the file */
    int source_channels;  /* channel count of the file */
} audio_pcm;

/* Reads path, mixes to mono and converts to target_rate.
 * Errors: NOT_FOUND if the file does not exist, INVALID_ARGUMENT if it is
 * unreadable, not audio, or empty; RESOURCE_EXHAUSTED on allocation failure;
 * INTERNAL if resampling fails. On error *out is left empty. */
cv_status audio_file_load_mono(const char *path, int target_rate, audio_pcm *out);

/* The same for a file held in memory; name is used in messages. */
cv_status audio_file_load_mono_memory(const void *data, size_t len, const char *name,
                                      int target_rate, audio_pcm *out);

/* Reads path as mono float samples in [-1, 1] at the file's own rate, with
 * no conversion but the channel average (what soundfile gives torchaudio.load
 * in the reference's load_wav): for tools that resample the torchaudio way.
 * *x malloc'ed (*n samples at *rate Hz). Errors as audio_file_load_mono. */
cv_status audio_file_load_float(const char *path, float **x, size_t *n, int *rate);

void audio_pcm_free(audio_pcm *p);

#endif
