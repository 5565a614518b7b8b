/* The token-to-audio step and streaming schedule of CosyVoice2 and
 * CosyVoice3 (the reference's CosyVoice2Model / CosyVoice3Model token2wav
 * and tts), shared by both; each family plugs in what it does with the mel
 * (its vocoder stage: v2/token2wav.h, v3/token2wav.h).
 *
 * A step (token2wav) runs the causal flow on every token so far (plus the
 * prompt) and keeps the mel frames after token_offset * token_mel_ratio:
 *   streamed chunk: streaming attention, the last pre_lookahead_len tokens
 *                   only look-ahead (finalize = false);
 *   last chunk:     full attention, finalize = true (the reference does not
 *                   pass `stream` on that call).
 *
 * The schedule (tts with stream=True): hop 25 tokens, the first one grown
 * by prompt_token_pad = ceil(P / 25) * 25 - P so that prompt + first hop
 * fills whole 25-token chunks; a chunk runs once offset + hop +
 * pre_lookahead_len tokens exist; then offset += hop and the hop doubles up
 * to 100. Once the LM has finished, the rest goes in the last chunk.
 *
 * first_hop = N (--engine-opt first_hop=N) replaces only that first hop,
 * pad included, by N tokens: the first chunk runs once N +
 * pre_lookahead_len tokens exist, as in the reference's triton runtime
 * (runtime/triton_trtllm, token_hop_len = 15, no pad). The hops after it
 * are the reference's (50, then 100). The first chunk's boundary then no
 * longer falls on the flow's 25-token attention chunks: its last frames are
 * computed with less right context than the default schedule gives them
 * (as in the triton runtime), so the audio differs from the default's.
 *
 * The hop lives in the call's state, reset for every call. The reference
 * keeps it on the model object (self.token_hop_len) and never resets it:
 * its second request starts at hop 100 (a 4 s first chunk instead of 1 s),
 * and two concurrent requests grow each other's hop. We keep the numbers
 * the reference computes for one request on a fresh model. */
#ifndef CV_MODEL_CAUSAL_T2W_H
#define CV_MODEL_CAUSAL_T2W_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "common/stop.h"
#include "model/blocks/causal_flow.h"
#include "model/blocks/instance_pool.h"
#include "model/blocks/t2w_loop.h"

typedef struct causal_t2w_params {
    int token_hop_len;       /* 25: must match the flow's training chunk size */
    int token_max_hop_len;   /* 100 */
    int stream_scale_factor; /* 2 */
    int first_hop;           /* 0: the reference's (token_hop_len + prompt pad); N: N tokens */
} causal_t2w_params;

/* The reference's numbers. */
causal_t2w_params causal_t2w_params_default(void);
cv_status causal_t2w_params_check(const causal_t2w_params *p);
/* The first hop for a flow prompt of n_prompt_tokens tokens (first_hop
 * when set). */
int causal_t2w_first_hop(const causal_t2w_params *p, int n_prompt_tokens);
/* The hop after one of `hop` (the first hop's prompt pad not counted). */
int causal_t2w_next_hop(const causal_t2w_params *p, int hop);

/* What a family does with a chunk's new mel [C][F] (the frames after the
 * previous chunk's): its audio (*pcm malloc'ed), finalize on the last
 * chunk, speed only when nothing was streamed before. */
typedef struct causal_t2w_vocoder {
    cv_status (*run)(void *self, const float *mel, int F, bool finalize, float speed,
                     float **pcm, int *n_pcm);
    void (*destroy)(void *self);
    void *self;
} causal_t2w_vocoder;

typedef struct causal_t2w causal_t2w;

/* One call's state over a pool of causal_flow instances (an instance is
 * held only during the flow); takes over voc (destroyed on failure too).
 * The prompt is borrowed for the state's life. */
cv_status causal_t2w_new(instance_pool *flows, const causal_t2w_params *p,
                         const t2w_prompt *prompt, causal_t2w_vocoder voc, causal_t2w **out);
void causal_t2w_free(causal_t2w *s);
/* Lets a step give up early (CV_CANCELLED) once stop asks: polled before
 * each of the flow's ODE steps and before the vocoder. Copied; NULL clears. */
void causal_t2w_set_stop(causal_t2w *s, const cv_stop *stop);

/* Called with every step's arguments before it runs (parity checks and
 * tests compare the schedule with the reference's); NULL clears. */
typedef void (*causal_t2w_trace_fn)(void *user, int n_tokens, int token_offset, bool streaming,
                                    bool finalize);
void causal_t2w_set_trace(causal_t2w *s, causal_t2w_trace_fn fn, void *user);
/* The family's vocoder stage state (v3/token2wav.h reads its mel). */
void *causal_t2w_vocoder_self(causal_t2w *s);

/* One token2wav call on tokens[0, n) (every token so far), keeping the mel
 * after token_offset tokens. timing may be NULL. */
cv_status causal_t2w_step(causal_t2w *s, const int32_t *tokens, int n, int token_offset,
                          bool streaming, bool finalize, float speed, float **pcm, int *n_pcm,
                          t2w_timing *timing);

/* The call's chunks as the tokens arrive from q (see t2w_loop.h); stats
 * may be NULL. */
cv_status causal_t2w_run(causal_t2w *s, token_queue *q, bool stream, float speed,
                         t2w_emit_fn emit, void *user, t2w_stream_stats *stats);

#endif
