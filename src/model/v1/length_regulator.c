/* InterpolateRegulator inference path; see length_regulator.h. */
#include "model/v1/length_regulator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/conv.h"
#include "nn/ops.h"

/* Token overlap of the streaming scheme: that many tokens at each end of a
 * long chunk are stretched on their own so chunk seams stay aligned. */
#define LR_OVERLAP_TOKENS 20

cv_status length_regulator_init(length_regulator *lr, int channels, int n_convs, int groups,
                                const pt_dict *src, const char *prefix) {
    memset(lr, 0, sizeof *lr);
    if (channels < 1 || n_convs < 0 || groups < 1 || channels % groups)
        return cv_error(CV_INVALID_ARGUMENT, "length regulator: bad configuration");
    lr->channels = channels;
    lr->n_convs = n_convs;
    lr->groups = groups;
    size_t n = (size_t)(n_convs > 0 ? n_convs : 1);
    lr->conv_w = calloc(n, sizeof *lr->conv_w);
    lr->conv_b = calloc(n, sizeof *lr->conv_b);
    lr->gn_w = calloc(n, sizeof *lr->gn_w);
    lr->gn_b = calloc(n, sizeof *lr->gn_b);
    if (!lr->conv_w || !lr->conv_b || !lr->gn_w || !lr->gn_b) {
        length_regulator_free(lr);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    int ok = 1;
    char name[64];
    /* nn.Sequential numbering: conv, norm, act per ratio, then the 1x1 conv */
    for (int i = 0; ok && i < n_convs; i++) {
        snprintf(name, sizeof name, "model.%d.weight", 3 * i);
        ok = ok && (lr->conv_w[i] = flow_w(src, prefix, name, channels, channels, 3));
        snprintf(name, sizeof name, "model.%d.bias", 3 * i);
        ok = ok && (lr->conv_b[i] = flow_w(src, prefix, name, channels, 0, 0));
        snprintf(name, sizeof name, "model.%d.weight", 3 * i + 1);
        ok = ok && (lr->gn_w[i] = flow_w(src, prefix, name, channels, 0, 0));
        snprintf(name, sizeof name, "model.%d.bias", 3 * i + 1);
        ok = ok && (lr->gn_b[i] = flow_w(src, prefix, name, channels, 0, 0));
    }
    snprintf(name, sizeof name, "model.%d.weight", 3 * n_convs);
    ok = ok && (lr->out_w = flow_w(src, prefix, name, channels, channels, 1));
    snprintf(name, sizeof name, "model.%d.bias", 3 * n_convs);
    ok = ok && (lr->out_b = flow_w(src, prefix, name, channels, 0, 0));
    if (!ok) {
        length_regulator_free(lr);
        return cv_error(CV_INVALID_ARGUMENT, "length regulator: missing weights");
    }
    return cv_ok();
}

void length_regulator_free(length_regulator *lr) {
    free(lr->conv_w);
    free(lr->conv_b);
    free(lr->gn_w);
    free(lr->gn_b);
    memset(lr, 0, sizeof *lr);
}

/* Stretches frames [t0, t0+n) of hT [C][L] to m frames written at column
 * col0 of x [C][T]; tmp holds C*(n+m) floats. */
static void stretch(const float *hT, int C, int L, int t0, int n, float *x, int T, int col0,
                    int m, float *tmp) {
    float *src = tmp, *dst = tmp + (size_t)C * n;
    for (int c = 0; c < C; c++) memcpy(src + (size_t)c * n, hT + (size_t)c * L + t0, (size_t)n * sizeof(float));
    nn_interp_linear(src, C, n, m, dst);
    for (int c = 0; c < C; c++) memcpy(x + (size_t)c * T + col0, dst + (size_t)c * m, (size_t)m * sizeof(float));
}

int lr_mel_frames(int n_tokens, int input_frame_rate) {
    return (int)((double)n_tokens / input_frame_rate * 22050 / 256);
}

cv_status length_regulator_infer(const length_regulator *lr, const float *h, int n1, int n2,
                                 int mel1, int mel2, int input_frame_rate, float *out) {
    int C = lr->channels, T = mel1 + mel2;
    if (n2 < 1 || mel2 < 1 || (n1 > 0 && mel1 < 1) || n1 < 0 || mel1 < 0)
        return cv_error(CV_INVALID_ARGUMENT, "length regulator: empty input");
    int L = n1 + n2, ov = LR_OVERLAP_TOKENS;
    int ov_mel = lr_mel_frames(ov, input_frame_rate);
    float *hT = malloc((size_t)C * L * sizeof(float));
    float *tmp = malloc((size_t)C * (L + T) * sizeof(float));
    float *x = malloc((size_t)C * T * sizeof(float));
    float *y = malloc((size_t)C * T * sizeof(float));
    cv_status st = cv_ok();
    if (!hT || !tmp || !x || !y) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    nn_transpose(h, L, C, hT);
    if (n1 > 0) stretch(hT, C, L, 0, n1, x, T, 0, mel1, tmp);
    if (n2 > 2 * ov && mel2 > 2 * ov_mel) {
        /* head / middle / tail of the new tokens stretched separately */
        stretch(hT, C, L, n1, ov, x, T, mel1, ov_mel, tmp);
        stretch(hT, C, L, n1 + ov, n2 - 2 * ov, x, T, mel1 + ov_mel, mel2 - 2 * ov_mel, tmp);
        stretch(hT, C, L, L - ov, ov, x, T, T - ov_mel, ov_mel, tmp);
    } else {
        stretch(hT, C, L, n1, n2, x, T, mel1, mel2, tmp);
    }
    nn_conv1d_params cp = {.cin = C, .cout = C, .kernel = 3, .stride = 1, .dilation = 1,
                           .pad_left = 1, .pad_right = 1, .groups = 1};
    for (int i = 0; i < lr->n_convs; i++) {
        if (!nn_conv1d(&cp, x, T, lr->conv_w[i], lr->conv_b[i], y)) {
            st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
            goto done;
        }
        nn_group_norm(y, y, C, T, lr->groups, lr->gn_w[i], lr->gn_b[i], 1e-5f);
        nn_mish(y, y, (size_t)C * T);
        float *t = x;
        x = y;
        y = t;
    }
    cp.kernel = 1;
    cp.pad_left = cp.pad_right = 0;
    if (!nn_conv1d(&cp, x, T, lr->out_w, lr->out_b, out))
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
done:
    free(hT);
    free(tmp);
    free(x);
    free(y);
    return st;
}
