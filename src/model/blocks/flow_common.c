#include "model/blocks/flow_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/matmul.h"

void flow_speaker_projection(const float *W, const float *b, int D, int E, const float *x,
                             float *spks)
{
    double ss = 0.0;
    for (int i = 0; i < E; i++) ss += (double)x[i] * x[i];
    float nrm = (float)sqrt(ss);
    float inv = 1.0f / (nrm > 1e-12f ? nrm : 1e-12f);
    memcpy(spks, b, (size_t)D * sizeof(float));
    nn_gemm(false, false, D, 1, E, inv, W, E, x, 1, 1.0f, spks, 1);
}

void flow_embed_tokens(const float *table, int E, const int32_t *prompt, int n_prompt,
                       const int32_t *tokens, int n_tokens, float *rows)
{
    for (int i = 0; i < n_prompt + n_tokens; i++) {
        int32_t t = i < n_prompt ? prompt[i] : tokens[i - n_prompt];
        if (t < 0) t = 0;
        memcpy(rows + (size_t)i * E, table + (size_t)t * E, (size_t)E * sizeof(float));
    }
}

void flow_prompt_cond(const float *feat, int frames, int D, int T, float *cond)
{
    memset(cond, 0, sizeof(float) * (size_t)D * T);
    for (int ch = 0; ch < D; ch++)
        for (int t = 0; t < frames; t++) cond[(size_t)ch * T + t] = feat[(size_t)t * D + ch];
}

float *flow_keep_frames(const float *x, int D, int T, int from)
{
    int n = T - from;
    float *y = malloc(sizeof(float) * (size_t)D * (n > 0 ? n : 1));
    for (int ch = 0; y && ch < D; ch++)
        memcpy(y + (size_t)ch * n, x + (size_t)ch * T + from, sizeof(float) * n);
    return y;
}

cv_status flow_check_tokens(const int32_t *tokens, int n, const int32_t *prompt, int n_prompt,
                            const float *feat, int n_frames, const float *embedding, int vocab,
                            bool need_frames)
{
    if (n < 1 || !tokens || !embedding)
        return cv_error(CV_INVALID_ARGUMENT, "flow: no speech tokens");
    if (n_prompt < 0 || n_frames < 0 || (n_prompt > 0 && (!prompt || (need_frames && n_frames < 1))) ||
        (n_frames > 0 && !feat))
        return cv_error(CV_INVALID_ARGUMENT, "flow: inconsistent prompt");
    for (int i = 0; i < n + n_prompt; i++) {
        int32_t t = i < n_prompt ? prompt[i] : tokens[i - n_prompt];
        if (t >= vocab)
            return cv_error(CV_INVALID_ARGUMENT, "flow: speech token %d out of range", (int)t);
    }
    return cv_ok();
}
