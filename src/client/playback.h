/* Real-time playback of the streamed audio through PortAudio's default
 * output device. Chunks go into a jitter buffer (audio/playback_ring.h);
 * PortAudio's callback thread pulls from it at the device's pace, starting
 * once --play-buffer milliseconds are buffered. The network side only
 * blocks if the buffer is full (a minute of audio ahead of the speaker). */
#ifndef CV_CLIENT_PLAYBACK_H
#define CV_CLIENT_PLAYBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

typedef struct playback playback;

/* Initializes PortAudio and looks for a default output device. Call it
 * before any other thread writes to stderr: the audio back ends (ALSA,
 * JACK) print their probing noise there, so it is silenced meanwhile.
 * Returns NULL with a one-line reason in err when there is no device. */
playback *playback_create(int buffer_ms, char *err, size_t errcap);

/* Opens and starts the output stream once the sample rate is known (the
 * first chunk). */
cv_status playback_start(playback *p, int sample_rate);
bool playback_started(const playback *p);

/* Queues audio for playing; waits while the buffer is full. */
cv_status playback_write(playback *p, const int16_t *pcm, size_t n);

/* No more audio: waits until what is buffered has been played, then
 * stops the stream. */
void playback_finish(playback *p);

double playback_played_seconds(const playback *p);
size_t playback_underruns(const playback *p);

/* Stops everything and releases PortAudio (NULL is allowed). */
void playback_destroy(playback *p);

#endif
