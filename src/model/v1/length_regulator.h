/* InterpolateRegulator of the CosyVoice flow (inference path): stretches the
 * projected encoder output from token rate to mel frame rate by linear
 * interpolation, prompt part and new part separately so the prompt/new
 * boundary lands exactly on a mel frame, then refines with a small
 * conv(3) / GroupNorm / Mish stack and a 1x1 convolution. */
#ifndef CV_MODEL_LENGTH_REGULATOR_H
#define CV_MODEL_LENGTH_REGULATOR_H

#include "common/status.h"
#include "model/v1/flow_weights.h"

typedef struct length_regulator {
    int channels;  /* = out channels (80) */
    int n_convs;   /* len(sampling_ratios) */
    int groups;    /* GroupNorm groups */
    const float **conv_w, **conv_b, **gn_w, **gn_b;
    const float *out_w, *out_b;
} length_regulator;

cv_status length_regulator_init(length_regulator *lr, int channels, int n_convs, int groups,
                                const pt_dict *src, const char *prefix);
void length_regulator_free(length_regulator *lr);

/* Frames the new-token part is stretched to: int(n / rate * 22050 / 256). */
int lr_mel_frames(int n_tokens, int input_frame_rate);

/* h: [n1 + n2][C] encoder output (prompt tokens first). Writes
 * out [C][mel1 + mel2] (channel-major). */
cv_status length_regulator_infer(const length_regulator *lr, const float *h, int n1, int n2,
                                 int mel1, int mel2, int input_frame_rate, float *out);

#endif
