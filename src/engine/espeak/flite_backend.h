/* The flite back end, for English: CMU voices linked into the program
 * (cmu_us_slt female, cmu_us_awb male; awb
 * follows F0 targets, rms does not). flite is not known to be
 * thread-safe, so synthesis runs under one mutex; its 16 kHz output is
 * resampled to the engine's 22050 Hz with libsoxr outside the lock. */
#ifndef CV_FLITE_BACKEND_H
#define CV_FLITE_BACKEND_H

#include "engine/espeak/pcm_buf.h"
#include "engine/espeak/prosody.h"

/* Registers the voices once per process. Returns 0, or -1. */
int flite_backend_init(void);

/* Synthesizes English text with the voice for p->gender; the F0 target,
 * range and rate set flite's int_f0_target_mean, int_f0_target_stddev and
 * duration_stretch; gain and breathiness are applied to the samples.
 * Appends 22050 Hz samples to out. Returns 0, or -1. */
int flite_backend_synth(const prosody *p, const char *text, pcm_buf *out);

/* flite's version ("2.2"), from its headers: libflite has no run-time query. */
const char *flite_backend_version(void);

#endif
