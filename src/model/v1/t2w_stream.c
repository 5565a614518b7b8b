/* Token-to-audio loop over a token queue; see t2w_stream.h. */
#include "model/v1/t2w_stream.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"

int t2w_next_hop(const t2w_params *p, int hop)
{
    int h = (int)((float)hop * p->scale);
    if (h < p->token_min_hop) h = p->token_min_hop;
    if (h > p->token_max_hop) h = p->token_max_hop;
    return h;
}

/* Runs one step on tokens [from, from + n) and emits it. */
static cv_status chunk(t2w_state *s, token_queue *q, int from, int n, bool final, float speed,
                       t2w_emit_fn emit, void *user, t2w_stream_stats *stats)
{
    int32_t *tok = malloc((size_t)(n > 0 ? n : 1) * sizeof *tok);
    if (!tok) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    token_queue_copy(q, from, n, tok);
    float *pcm = NULL;
    int n_pcm = 0;
    t2w_timing t = {0};
    cv_status st = t2w_step(s, tok, n, final, speed, &pcm, &n_pcm, &t);
    free(tok);
    if (cv_is_ok(&st)) {
        if (stats->chunks == 0) {
            stats->first = t;
            stats->t_first_chunk = cv_now();
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

cv_status t2w_stream_run(t2w_state *s, token_queue *q, bool stream, float speed,
                         t2w_emit_fn emit, void *user, t2w_stream_stats *stats)
{
    t2w_stream_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    const t2w_params *p = t2w_get_params(s);
    if (stream && speed != 1.0f)
        return cv_error(CV_INVALID_ARGUMENT, "speed change only works without streaming");
    int pos = 0, n = 0;
    bool done = false;
    cv_status st = cv_ok();
    if (stream) {
        int hop = p->first_hop;
        for (;;) {
            n = token_queue_wait(q, pos + hop + p->token_overlap, &done);
            note_first_token(q, stats);
            if (done) {
                st = producer_status(q);
                if (!cv_is_ok(&st)) return st;
            }
            if (stats->t_first_ready == 0 && (done || n - pos >= hop + p->token_overlap))
                stats->t_first_ready = cv_now();
            if (n - pos >= hop + p->token_overlap) {
                st = chunk(s, q, pos, hop + p->token_overlap, false, 1.0f, emit, user, stats);
                if (!cv_is_ok(&st)) return st;
                pos += hop;
                hop = t2w_next_hop(p, hop);
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
    if (n - pos > 0) st = chunk(s, q, pos, n - pos, true, speed, emit, user, stats);
    return st;
}
