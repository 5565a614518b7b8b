/* A text source fed by another thread; see text_pipe.h. */
#include "engine/text_pipe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/grow_buf.h"
#include "common/timeutil.h"
#include "common/utf8.h"
#include "engine/validate.h"

static cv_status pipe_read(tts_text_source *src, char **piece, size_t *n);
static void pipe_stop(tts_text_source *src, cv_status why);

void text_pipe_init(text_pipe *p, size_t max_chars, double idle_timeout)
{
    memset(p, 0, sizeof *p);
    p->src.read = pipe_read;
    p->src.stop = pipe_stop;
    p->max_chars = max_chars;
    p->idle_timeout = idle_timeout;
    p->last_arrival = cv_now();
    p->failed = cv_ok();
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &a);
    pthread_condattr_destroy(&a);
}

void text_pipe_destroy(text_pipe *p)
{
    free(p->buf);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
}

static void fail_locked(text_pipe *p, cv_status why)
{
    if (cv_is_ok(&p->failed)) p->failed = why;
    pthread_cond_broadcast(&p->cv);
}

void text_pipe_fail(text_pipe *p, cv_status why)
{
    pthread_mutex_lock(&p->mu);
    fail_locked(p, why);
    pthread_mutex_unlock(&p->mu);
}

static void pipe_stop(tts_text_source *src, cv_status why)
{
    text_pipe_fail((text_pipe *)src, why); /* src is the pipe's first member */
}

void text_pipe_touch(text_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->last_arrival = cv_now();
    pthread_mutex_unlock(&p->mu);
}

size_t text_pipe_chars(text_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->chars;
    pthread_mutex_unlock(&p->mu);
    return n;
}

/* Bytes a sequence with lead byte b has, 0 if b cannot start one. */
static size_t seq_len(uint8_t b)
{
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) return 2;
    if (b >= 0xE0 && b <= 0xEF) return 3;
    if (b >= 0xF0 && b <= 0xF4) return 4;
    return 0;
}

/* Length of the incomplete character at the end of s[0..n) (0 if the last
 * character is whole); (size_t)-1 if the tail cannot begin a character. */
static size_t incomplete_tail(const uint8_t *s, size_t n)
{
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        uint8_t b = s[n - back];
        if ((b & 0xC0) == 0x80) continue; /* a continuation byte */
        size_t need = seq_len(b);
        if (need == 0) return (size_t)-1;
        return need > back ? back : 0;
    }
    return 0; /* all continuation bytes: utf8_valid refuses them */
}

static cv_status append_locked(text_pipe *p, const char *s, size_t n)
{
    if (!utf8_valid(s, n))
        return cv_error(CV_INVALID_ARGUMENT, "the streamed text is not valid UTF-8 (after %zu "
                        "characters)", p->chars);
    size_t chars = utf8_length(s, n);
    if (p->chars + chars > p->max_chars)
        return cv_error(CV_INVALID_ARGUMENT,
                        "the streamed text has more than %zu characters, the limit (--max-text): "
                        "split it into several calls", p->max_chars);
    if (!grow_buf_append(&p->buf, &p->len, &p->cap, s, n))
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory for the streamed text");
    p->chars += chars;
    if (!p->nonblank) {
        char *t = strndup(s, n);
        if (!t) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory for the streamed text");
        p->nonblank = !text_is_blank(t);
        free(t);
    }
    return cv_ok();
}

cv_status text_pipe_push(text_pipe *p, const uint8_t *data, size_t n)
{
    pthread_mutex_lock(&p->mu);
    cv_status st = p->failed;
    if (cv_is_ok(&st) && p->ended)
        st = cv_error(CV_INTERNAL, "text after the end of the stream");
    if (cv_is_ok(&st) && n > 0) {
        /* the held-back bytes of a split character come first */
        uint8_t *all = malloc(p->n_partial + n);
        if (!all) {
            st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory for the streamed text");
        } else {
            memcpy(all, p->partial, p->n_partial);
            memcpy(all + p->n_partial, data, n);
            size_t total = p->n_partial + n, tail = incomplete_tail(all, total);
            if (tail == (size_t)-1) {
                st = cv_error(CV_INVALID_ARGUMENT, "the streamed text is not valid UTF-8 "
                              "(after %zu characters)", p->chars);
            } else {
                st = append_locked(p, (const char *)all, total - tail);
                memcpy(p->partial, all + total - tail, tail);
                p->n_partial = tail;
            }
            free(all);
        }
        p->last_arrival = cv_now();
    }
    if (!cv_is_ok(&st)) fail_locked(p, st);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return st;
}

cv_status text_pipe_end(text_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    cv_status st = p->failed;
    if (cv_is_ok(&st) && p->n_partial)
        st = cv_error(CV_INVALID_ARGUMENT,
                      "the streamed text ends inside a UTF-8 character (%zu of its bytes)",
                      p->n_partial);
    if (cv_is_ok(&st) && !p->nonblank)
        st = cv_error(CV_INVALID_ARGUMENT,
                      "the stream carried no text: after the setup message, send the text in "
                      "messages with the text field set, then half-close");
    p->ended = true;
    if (!cv_is_ok(&st)) fail_locked(p, st);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return st;
}

static cv_status pipe_read(tts_text_source *src, char **piece, size_t *n)
{
    text_pipe *p = (text_pipe *)src; /* src is the first member */
    *piece = NULL;
    *n = 0;
    pthread_mutex_lock(&p->mu);
    cv_status st = cv_ok();
    for (;;) {
        if (!cv_is_ok(&p->failed)) {
            st = p->failed;
            break;
        }
        if (p->len > 0) {
            *piece = p->buf; /* hand the buffer over whole */
            *n = p->len;
            p->buf = NULL;
            p->len = p->cap = 0;
            break;
        }
        if (p->ended) break;
        if (!(p->idle_timeout > 0)) {
            pthread_cond_wait(&p->cv, &p->mu);
            continue;
        }
        double due = p->last_arrival + p->idle_timeout;
        if (cv_now() >= due) {
            fail_locked(p, cv_error(CV_DEADLINE_EXCEEDED,
                                    "no text arrived for %g s (--text-idle-timeout): end the "
                                    "text with a half-close when it is complete",
                                    p->idle_timeout));
            continue;
        }
        struct timespec ts = cv_timespec_after(CLOCK_MONOTONIC, due - cv_now() + 0.001);
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
    pthread_mutex_unlock(&p->mu);
    return st;
}
