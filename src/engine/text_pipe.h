/* A tts_text_source fed by another thread: the StreamInference call puts
 * each text message in as it arrives (on the completion-queue thread), the
 * engine reads on its worker thread.
 *
 * The pipe enforces the text rules of a streamed call as the text arrives:
 * valid UTF-8 (a character may be split across messages: its first bytes
 * wait for the rest), at most max_chars code points in all, some non-blank
 * text by the end. The reader waits at most idle_timeout seconds since the
 * last piece arrived (or since the pipe was made) before failing with
 * DEADLINE_EXCEEDED, so a client that stops writing frees its slot. */
#ifndef CV_ENGINE_TEXT_PIPE_H
#define CV_ENGINE_TEXT_PIPE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

typedef struct text_pipe {
    tts_text_source src; /* hand &src to the engine */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *buf; /* complete characters not yet read */
    size_t len, cap;
    char partial[4]; /* the first bytes of a character split across pieces */
    size_t n_partial;
    size_t chars, max_chars;
    bool nonblank; /* some non-blank text arrived */
    bool ended;    /* the writer is done */
    double idle_timeout, last_arrival;
    cv_status failed; /* not OK: every read returns it */
} text_pipe;

/* idle_timeout <= 0: wait forever. */
void text_pipe_init(text_pipe *p, size_t max_chars, double idle_timeout);
void text_pipe_destroy(text_pipe *p);
/* Appends n bytes. An error (not UTF-8, over max_chars) also fails the
 * pipe, and is returned so the caller can end the call with it. */
cv_status text_pipe_push(text_pipe *p, const uint8_t *data, size_t n);
/* The writer is done: an error if the text ended inside a character or
 * held nothing but blanks (the pipe fails with it too). */
cv_status text_pipe_end(text_pipe *p);
/* Fails the pipe (cancellation): a waiting reader returns why at once. The
 * first failure stays. */
void text_pipe_fail(text_pipe *p, cv_status why);
/* Starts the idle clock afresh (when the call the pipe was made for
 * arrives). */
void text_pipe_touch(text_pipe *p);
/* Characters received so far. */
size_t text_pipe_chars(text_pipe *p);

#endif
