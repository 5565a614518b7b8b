/* The token-to-audio loop over a token queue; see t2w_loop.h. */
#include "model/blocks/t2w_loop.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timeutil.h"

double t2w_process_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs one chunk on tokens [0, n) and emits it; prev: the tokens of the
 * chunk before (0 for the first). */
static cv_status chunk(const t2w_schedule *s, token_queue *q, int n, int prev, bool final,
                       float speed, t2w_emit_fn emit, void *user, t2w_stream_stats *stats)
{
    int32_t *tok = malloc((size_t)(n > 0 ? n : 1) * sizeof *tok);
    if (!tok) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    token_queue_copy(q, 0, n, tok);
    float *pcm = NULL;
    int n_pcm = 0;
    t2w_timing t = {0};
    /* the LM yields to this (token_queue.h), not to the emit below, which
     * may block on the client. It may go on to the next chunk's tokens (one
     * more hop like the last, an estimate: only where the LM parks depends
     * on it, never the audio), except during the first chunk. */
    token_queue_compute_begin(q, stats->chunks == 0 ? n : n + (n - prev));
    cv_status st = s->chunk(s->self, tok, n, final, speed, &pcm, &n_pcm, &t);
    token_queue_compute_end(q);
    free(tok);
    if (cv_is_ok(&st)) {
        if (stats->chunks == 0) {
            stats->first = t;
            stats->t_first_chunk = cv_now();
            stats->cpu_first_chunk = t2w_process_cpu();
        }
        stats->chunks++;
        stats->total.flow += t.flow;
        stats->total.vocoder += t.vocoder;
        stats->total.flow_cpu += t.flow_cpu;
        stats->total.vocoder_cpu += t.vocoder_cpu;
        if (!emit(user, pcm, n_pcm)) st = cv_error(CV_CANCELLED, "cancelled");
    }
    free(pcm);
    return st;
}

static cv_status producer_status(token_queue *q)
{
    pthread_mutex_lock(&q->mu);
    cv_status st = q->status;
    pthread_mutex_unlock(&q->mu);
    return st;
}

static void note_first_token(token_queue *q, t2w_stream_stats *stats)
{
    if (stats->t_first_token != 0) return;
    pthread_mutex_lock(&q->mu);
    stats->t_first_token = q->t_first;
    pthread_mutex_unlock(&q->mu);
}

cv_status t2w_loop_run(const t2w_schedule *s, token_queue *q, bool stream, float speed,
                       t2w_emit_fn emit, void *user, t2w_stream_stats *stats)
{
    t2w_stream_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    if (stream && speed != 1.0f)
        return cv_error(CV_INVALID_ARGUMENT, "speed change only works without streaming");
    int n = 0, prev = 0;
    bool done = false;
    cv_status st = cv_ok();
    if (stream) {
        for (;;) {
            int need = s->need(s->self);
            n = token_queue_wait(q, need, &done);
            note_first_token(q, stats);
            if (done) {
                st = producer_status(q);
                if (!cv_is_ok(&st)) return st;
            }
            if (stats->t_first_ready == 0 && (done || n >= need)) stats->t_first_ready = cv_now();
            if (n >= need) {
                st = chunk(s, q, need, prev, false, 1.0f, emit, user, stats);
                if (!cv_is_ok(&st)) return st;
                prev = need;
                continue;
            }
            if (done) break;
        }
    } else {
        n = token_queue_wait(q, INT_MAX, &done);
        note_first_token(q, stats);
        stats->t_first_ready = cv_now();
        st = producer_status(q);
        if (!cv_is_ok(&st)) return st;
    }
    stats->tokens = n;
    if (n > s->consumed(s->self)) st = chunk(s, q, n, prev, true, speed, emit, user, stats);
    return st;
}
