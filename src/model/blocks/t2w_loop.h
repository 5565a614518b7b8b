/* The token-to-audio loop every family runs on the consumer side of a
 * call (the reference's CosyVoiceModel.tts / CosyVoice2Model.tts after the
 * LM thread is started): speech tokens arrive in a token_queue from the LM
 * thread and come out as audio chunks.
 *
 * The loop is the shared machinery; what differs per family is its
 * schedule (t2w_schedule): how many tokens the next streamed chunk needs,
 * and what a chunk does with them. The loop sleeps on the queue until that
 * many tokens exist (token_queue_wait: the LM thread signals it, nobody
 * polls), runs the chunk, hands its audio to emit, and asks again; once the
 * LM has finished, one final chunk takes the rest. Without streaming it
 * waits for all tokens and runs the final chunk alone. While a chunk is
 * computed (not while its audio is emitted) the queue is marked computing,
 * so an LM that yields (lm_yield, token_queue.h) leaves the cores to it
 * (during a segment's first chunk entirely, then once one hop ahead).
 *
 * A schedule holds the state of one call (hop, offset, caches): unlike the
 * reference, nothing of a call's schedule outlives it or is shared between
 * calls (CosyVoice2Model grows token_hop_len on the model object, so its
 * next request starts at the grown hop and concurrent requests race). */
#ifndef CV_MODEL_T2W_LOOP_H
#define CV_MODEL_T2W_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "model/blocks/token_queue.h"

/* What a call conditions the flow on (borrowed for the call's life). */
typedef struct t2w_prompt {
    const int32_t *tokens; /* flow prompt speech tokens, may be NULL if n_tokens == 0 */
    int n_tokens;
    const float *feat;     /* prompt mel [n_frames][80] */
    int n_frames;
    const float *embedding; /* speaker x-vector [spk_embed_dim] */
} t2w_prompt;

/* Seconds spent per stage (accumulated over chunks): wall clock, and the
 * process's CPU time over the same interval (all threads; includes other
 * work of the process running meanwhile, e.g. the LM when streaming). */
typedef struct t2w_timing {
    double flow, vocoder;
    double flow_cpu, vocoder_cpu;
} t2w_timing;

/* CPU seconds used by the process so far. */
double t2w_process_cpu(void);

/* Receives each chunk (float samples at the vocoder rate); false = stop
 * (cancelled): the loop returns CV_CANCELLED. */
typedef bool (*t2w_emit_fn)(void *user, const float *pcm, int n);

typedef struct t2w_schedule {
    void *self;
    /* Tokens (counted from the start of the call) the next streamed chunk
     * needs before it can run. */
    int (*need)(void *self);
    /* Tokens the chunks so far have consumed (what the final chunk does not
     * need to redo); the final chunk runs only when more exist. */
    int (*consumed)(void *self);
    /* Runs a chunk on tokens[0, n) (all tokens so far: n = need() for a
     * streamed chunk, every token for the final one) and advances the
     * schedule. *pcm (malloc'ed, may be NULL when *n_pcm == 0) receives its
     * audio; speed applies to a final chunk when nothing was streamed.
     * timing may be NULL. */
    cv_status (*chunk)(void *self, const int32_t *tokens, int n, bool final, float speed,
                       float **pcm, int *n_pcm, t2w_timing *timing);
} t2w_schedule;

typedef struct t2w_stream_stats {
    int chunks;
    int tokens;            /* tokens consumed */
    double t_first_token;  /* cv_now() times; 0 when it did not happen */
    double t_first_ready;  /* enough tokens for the first chunk (or LM done) */
    double t_first_chunk;  /* first chunk handed to emit */
    double cpu_first_chunk; /* t2w_process_cpu() then */
    t2w_timing first;      /* flow / vocoder seconds of the first chunk */
    t2w_timing total;
} t2w_stream_stats;

/* Runs a call's chunks as the tokens arrive; stats may be NULL. The
 * producer's failure (queue status) is returned as it is. */
cv_status t2w_loop_run(const t2w_schedule *s, token_queue *q, bool stream, float speed,
                       t2w_emit_fn emit, void *user, t2w_stream_stats *stats);

#endif
