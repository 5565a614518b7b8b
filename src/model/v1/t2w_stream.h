/* The token-to-audio schedule of CosyVoice v1 (the reference's
 * CosyVoiceModel.tts, consumer side) over the shared loop
 * (blocks/t2w_loop.h): speech tokens from a token_queue filled by the LM
 * thread become audio chunks.
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

#include "model/blocks/t2w_loop.h"
#include "model/blocks/token_queue.h"
#include "model/v1/token2wav.h"

/* Hop after a chunk of `hop` tokens. */
int t2w_next_hop(const t2w_params *p, int hop);

cv_status t2w_stream_run(t2w_state *s, token_queue *q, bool stream, float speed,
                         t2w_emit_fn emit, void *user, t2w_stream_stats *stats);

#endif
