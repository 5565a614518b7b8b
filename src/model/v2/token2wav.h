/* CosyVoice2's token-to-audio step (the reference's
 * CosyVoice2Model.token2wav): the shared causal step and schedule
 * (blocks/causal_t2w.h) with CosyVoice2's vocoder stage, which makes a
 * stream of chunks seamless:
 *
 *  - vocoder cache: a chunk's vocoder call gets the previous chunk's last
 *    mel_cache (8) mel frames in front of its own and that chunk's last
 *    source_cache (8 * 480 = 3840) source samples in place of its first
 *    ones;
 *  - speech overlap: a streamed chunk holds its last source_cache samples
 *    back, and the next chunk's first source_cache samples are Hamming
 *    cross-faded with them (window of 2 * source_cache). The fade can reach
 *    1.08 x audio_limit: the reference does not clip after it, nor do we.
 *
 * One state per call (causal_t2w_free frees it; not thread-safe); the flow
 * pool and the vocoder are shared read-only. */
#ifndef CV_MODEL_V2_TOKEN2WAV_H
#define CV_MODEL_V2_TOKEN2WAV_H

#include "model/blocks/causal_t2w.h"
#include "model/blocks/hift.h"
#include "nn/noise.h"

/* Mel frames of the vocoder cache (CosyVoice2Model.mel_cache_len). */
#define T2W2_MEL_CACHE 8

/* noise (the vocoder's per-call source noise) is borrowed; flows is a pool
 * of CosyVoice2 flows (v2/flow.h). */
cv_status t2w2_new(instance_pool *flows, const hift_model *hift, const causal_t2w_params *p,
                   const t2w_prompt *prompt, nn_noise *noise, causal_t2w **out);

#endif
