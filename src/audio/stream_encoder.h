/* Encoding audio while it is produced, for streamed HTTP responses: raw
 * 16-bit PCM, or WAV, FLAC, MP3 and Ogg/Opus through libsndfile, resampled
 * with libsoxr when the output rate differs from the engine's.
 *
 * libsndfile writes into a virtual file whose bytes the caller takes away as
 * they appear (stream_encoder_take), so nothing waits for the end of the
 * utterance. A container header that libsndfile would rewrite at the end
 * with the final sizes cannot be changed once sent: rewrites of bytes
 * already taken are dropped. The streams stay valid: FLAC's STREAMINFO then
 * says "length unknown" (allowed), MP3 is constant bit rate (its first
 * frame, where LAME would put the info frame, stays silent), and a WAV header taken before the end carries 0xFFFFFFFF for the
 * RIFF and data sizes (the usual mark of a WAV of unknown length; readers
 * take the data up to the end of the stream). A stream finished before any
 * byte was taken is a complete file with exact sizes. */
#ifndef CV_STREAM_ENCODER_H
#define CV_STREAM_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

typedef enum audio_format {
    AUDIO_FMT_PCM = 0, /* raw signed 16-bit little-endian mono, no header */
    AUDIO_FMT_WAV,
    AUDIO_FMT_FLAC,
    AUDIO_FMT_MP3,
    AUDIO_FMT_OPUS, /* Ogg/Opus; Opus itself allows 8, 12, 16, 24 and 48 kHz only */
    AUDIO_FMT_COUNT
} audio_format;

/* "pcm", "wav", "flac", "mp3", "opus"; -1 for other names. */
int audio_format_parse(const char *name);
const char *audio_format_name(audio_format f);
/* The Content-Type of a stream in this format. */
const char *audio_format_mime(audio_format f);
/* "pcm, wav, flac, mp3, opus", for messages. */
const char *audio_format_list(void);

typedef struct stream_encoder stream_encoder;

/* in_rate: rate of the samples written; out_rate: rate of the stream (0 =
 * in_rate; for Opus a rate it does not allow becomes 24000 or 48000). */
cv_status stream_encoder_open(audio_format f, int in_rate, int out_rate, stream_encoder **out);

/* The stream's sample rate. */
int stream_encoder_rate(const stream_encoder *e);

cv_status stream_encoder_write(stream_encoder *e, const int16_t *pcm, size_t n);

/* Ends the stream: flushes the resampler and the codec. */
cv_status stream_encoder_finish(stream_encoder *e);

/* Hands over the encoded bytes produced since the last call: a malloc'ed
 * buffer (the caller frees it) and its length, or NULL with *len 0. */
uint8_t *stream_encoder_take(stream_encoder *e, size_t *len);

void stream_encoder_free(stream_encoder *e);

#endif
