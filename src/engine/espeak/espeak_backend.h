/* The espeak-ng back end. espeak-ng keeps its state in process globals and
 * is not thread-safe, so every use goes through one mutex here: a call
 * synthesizes one segment under the lock into its own buffer and returns,
 * leaving the slow part (writing to a client) outside the lock. */
#ifndef CV_ESPEAK_BACKEND_H
#define CV_ESPEAK_BACKEND_H

#include <stddef.h>

#include "engine/espeak/pcm_buf.h"
#include "engine/espeak/prosody.h"

/* espeak-ng's native output rate (also the engine's output rate). */
#define ESPEAK_SAMPLE_RATE 22050

/* Initializes espeak-ng once per process (default data path). Returns 0, or
 * -1 with a message in err. Thread-safe and idempotent. */
int espeak_backend_init(char *err, size_t cap);

/* Synthesizes text with the espeak-ng voice `lang` ("cmn", "yue", "ja",
 * "ko", "en-us") and the prosody (variant, F0 target, range, rate, level),
 * appending 22050 Hz samples to out. Returns 0, or -1 on failure. */
int espeak_backend_synth(const char *lang, const prosody *p, const char *text, pcm_buf *out);

/* The F0 (Hz) the voice produces at espeak-ng pitch settings 0 and 100,
 * from the back end's calibration (measured once per voice and variant). */
int espeak_backend_f0_span(const char *lang, const prosody *p, float *f0_at_0, float *f0_at_100);

/* espeak-ng's version as the loaded library reports it ("1.51"). */
const char *espeak_backend_version(void);

#endif
