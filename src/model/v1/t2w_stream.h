/* The token-to-audio loop of CosyVoice v1 (the reference's
 * CosyVoiceModel.tts, consumer side): takes speech tokens from a
 * token_queue filled by the LM thread and turns them into audio chunks.
 *
 * Streaming: as soon as hop + overlap tokens past the current position
 * exist, flow and vocoder run on them (not final) and the chunk is emitted;
 * the position advances by hop and hop becomes
 * min(max_hop, max(min_hop, int(hop * scale))) (the first hop is
 * configurable; with the default first hop = min_hop this is the
 * reference's schedule). Once the LM has finished and fewer than
 * hop + overlap tokens remain, a final step runs on the rest.
 * Non-streaming: one final step on all tokens once the LM has finished
 * (speed applies only here). */
#ifndef CV_MODEL_T2W_STREAM_H
#define CV_MODEL_T2W_STREAM_H

#include <stdbool.h>

#include "model/v1/token2wav.h"
#include "model/blocks/token_queue.h"

/* Receives each chunk (float samples at the vocoder rate); false = stop
 * (cancelled): the loop returns CV_CANCELLED. */
typedef bool (*t2w_emit_fn)(void *user, const float *pcm, int n);

typedef struct t2w_stream_stats {
    int chunks;
    int tokens;            /* tokens consumed */
    double t_first_token;  /* cv_now() times; 0 when it did not happen */
    double t_first_ready;  /* enough tokens for the first chunk (or LM done) */
    double t_first_chunk;  /* first chunk handed to emit */
    t2w_timing first;      /* flow / vocoder seconds of the first chunk */
    t2w_timing total;
} t2w_stream_stats;

/* Hop after a chunk of `hop` tokens. */
int t2w_next_hop(const t2w_params *p, int hop);

cv_status t2w_stream_run(t2w_state *s, token_queue *q, bool stream, float speed,
                         t2w_emit_fn emit, void *user, t2w_stream_stats *stats);

#endif
