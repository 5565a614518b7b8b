/* CosyVoice3's token-to-audio step (the reference's
 * CosyVoice3Model.token2wav): the shared causal step and schedule
 * (blocks/causal_t2w.h) with CosyVoice3's vocoder stage, which needs no
 * cross-fade because its vocoder is causal: the mel of every chunk so far
 * is kept, each chunk re-runs the vocoder on all of it (finalize=False but
 * on the last chunk, so the look-ahead frames stay unspoken) and yields
 * only the samples past those already yielded.
 *
 * The cost grows with the utterance: chunk k vocodes everything up to it
 * (the flow likewise re-runs on every token so far); bench/README.md has
 * the figures. One state per call (causal_t2w_free frees it); the flow
 * pool and the vocoder are shared read-only. */
#ifndef CV_MODEL_V3_TOKEN2WAV_H
#define CV_MODEL_V3_TOKEN2WAV_H

#include "model/blocks/causal_t2w.h"
#include "model/blocks/hift.h"
#include "nn/noise.h"

/* noise (the vocoder's fixed sine noise) is borrowed; flows is a pool of
 * CosyVoice3 flows (v3/flow.h); hift must be a CausalHiFTGenerator. */
cv_status t2w3_new(instance_pool *flows, const hift_model *hift, const causal_t2w_params *p,
                   const t2w_prompt *prompt, nn_noise *noise, causal_t2w **out);

/* The mel the vocoder saw on the last chunk: [C][*frames], every chunk's
 * flow output so far (borrowed; parity checks compare it). */
const float *t2w3_mel(causal_t2w *s, int *frames);

#endif
