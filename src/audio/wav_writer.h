/* Progressive WAV writer (16-bit PCM, mono) on top of libsndfile.
 *
 * The RIFF and data chunk sizes are rewritten after every write, so the file
 * on disk is a complete, valid WAV at every moment between calls: if the
 * producer dies or the stream breaks, everything written so far stays
 * playable. Used by the client for streamed audio; usable by any program
 * that writes audio as it arrives. */
#ifndef CV_WAV_WRITER_H
#define CV_WAV_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

typedef struct wav_writer wav_writer;

/* Creates (or truncates) path and writes the header of an empty WAV file.
 * Errors: INVALID_ARGUMENT for a bad rate; UNKNOWN with libsndfile's
 * explanation when the file cannot be created. */
cv_status wav_writer_open(const char *path, int sample_rate, wav_writer **out);

/* Appends n samples and updates the header sizes. */
cv_status wav_writer_write(wav_writer *w, const int16_t *pcm, size_t n);

/* Samples written so far, and the file's sample rate. */
size_t wav_writer_frames(const wav_writer *w);
int wav_writer_sample_rate(const wav_writer *w);

/* Finalizes and closes the file; frees w (NULL is allowed). */
cv_status wav_writer_close(wav_writer *w);

#endif
