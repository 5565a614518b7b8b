#include "model/blocks/flow_common.h"

#include <math.h>
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
