/* v1's token-to-audio schedule; see t2w_stream.h. */
#include "model/v1/t2w_stream.h"

int t2w_next_hop(const t2w_params *p, int hop)
{
    int h = (int)((float)hop * p->scale);
    if (h < p->token_min_hop) h = p->token_min_hop;
    if (h > p->token_max_hop) h = p->token_max_hop;
    return h;
}

/* One call's position and hop. */
typedef struct v1_schedule {
    t2w_state *s;
    const t2w_params *p;
    int pos, hop;
} v1_schedule;

static int v1_need(void *self)
{
    const v1_schedule *v = self;
    return v->pos + v->hop + v->p->token_overlap;
}

static int v1_consumed(void *self) { return ((const v1_schedule *)self)->pos; }

/* v1 runs each chunk on its own tokens: [pos, pos + hop + overlap) when
 * streaming, [pos, n) for the last one. */
static cv_status v1_chunk(void *self, const int32_t *tokens, int n, bool final, float speed,
                          float **pcm, int *n_pcm, t2w_timing *timing)
{
    v1_schedule *v = self;
    cv_status st = t2w_step(v->s, tokens + v->pos, n - v->pos, final, speed, pcm, n_pcm, timing);
    if (cv_is_ok(&st) && !final) {
        v->pos += v->hop;
        v->hop = t2w_next_hop(v->p, v->hop);
    }
    return st;
}

cv_status t2w_stream_run(t2w_state *s, token_queue *q, bool stream, float speed,
                         t2w_emit_fn emit, void *user, t2w_stream_stats *stats)
{
    v1_schedule v = {s, t2w_get_params(s), 0, t2w_get_params(s)->first_hop};
    t2w_schedule sched = {&v, v1_need, v1_consumed, v1_chunk};
    return t2w_loop_run(&sched, q, stream, speed, emit, user, stats);
}
