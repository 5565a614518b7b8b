/* Small steps every CosyVoice flow takes the same way around its encoder
 * and sampler. */
#ifndef CV_MODEL_FLOW_COMMON_H
#define CV_MODEL_FLOW_COMMON_H

#include <stdbool.h>
#include <stdint.h>

/* spks[D] = W (x / max(||x||, 1e-12)) + b: F.normalize then
 * spk_embed_affine_layer. W [D][E]. */
void flow_speaker_projection(const float *W, const float *b, int D, int E, const float *x,
                             float *spks);

/* rows[n][E] = table[max(token, 0)] for prompt tokens then tokens (the
 * reference clamps padding ids, -1, to 0). Ids must be < the table's rows
 * (checked by the caller). */
void flow_embed_tokens(const float *table, int E, const int32_t *prompt, int n_prompt,
                       const int32_t *tokens, int n_tokens, float *rows);

/* The checks every flow makes on its input: tokens present, a prompt with
 * its arrays (frames required with prompt tokens when need_frames), every
 * id below vocab. INVALID_ARGUMENT naming the problem. */
#include "common/status.h"
cv_status flow_check_tokens(const int32_t *tokens, int n, const int32_t *prompt, int n_prompt,
                            const float *feat, int n_frames, const float *embedding, int vocab,
                            bool need_frames);

/* cond [D][T] = the prompt mel feat [frames][D] on the first frames, zeros
 * after (the flows' `conds`). */
void flow_prompt_cond(const float *feat, int frames, int D, int T, float *cond);

/* The frames from `from` on of x [D][T] as a new [D][T - from] array
 * (malloc'ed; NULL when out of memory): the flows keep the frames after
 * the prompt's. */
float *flow_keep_frames(const float *x, int D, int T, int from);

#endif
