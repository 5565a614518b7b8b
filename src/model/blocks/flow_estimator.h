/* The flow-matching vector field network of CosyVoice-300M (the
 * "ConditionalDecoder" estimator): a 1-D U-Net of ResNet blocks and
 * transformer blocks conditioned on time, encoder output mu, speaker
 * embedding and prompt mel.
 *
 * It always runs on B items at once in the [C][B*T] layout (seg_ops.h), so the
 * conditional and unconditional passes of classifier-free guidance cost one
 * matrix product per layer. */
#ifndef CV_MODEL_FLOW_ESTIMATOR_H
#define CV_MODEL_FLOW_ESTIMATOR_H

#include "common/status.h"
#include "model/v1/flow_weights.h"

#define FLOW_EST_MAX_STAGES 8

typedef struct flow_est_config {
    int in_channels;   /* x, mu, spks, cond stacked: 4 * out_channels */
    int out_channels;  /* mel bins (80) */
    int n_stages;      /* len(channels) */
    int channels[FLOW_EST_MAX_STAGES];
    int n_blocks;      /* transformer blocks per stage */
    int num_mid_blocks;
    int num_heads;
    int head_dim;      /* attention_head_dim */
    int ff_mult;       /* FeedForward width multiplier (4 in the reference) */
    int groups;        /* GroupNorm groups of Block1D (8) */
} flow_est_config;

typedef struct flow_estimator flow_estimator;

/* Binds the weights named "<prefix>time_mlp.linear_1.weight" etc. */
cv_status flow_estimator_create(const flow_est_config *cfg, const pt_dict *src,
                                const char *prefix, flow_estimator **out);
void flow_estimator_free(flow_estimator *e);

/* One evaluation for B items of T frames (B*T columns):
 *   x, mu, cond, out : [80][B*T]   (row c, column b*T + t)
 *   spks             : [B][80]
 *   t                : [B] flow time in [0,1]
 *   mask             : [B*T] 0/1 frame mask, or NULL for all ones.
 * Buffers are reused across calls while B*T does not grow. */
cv_status flow_estimator_forward(flow_estimator *e, int B, int T, const float *x,
                                 const float *mu, const float *t, const float *spks,
                                 const float *cond, const float *mask, float *out);

/* Query rows per attention piece (pieces run in parallel); 0 (default)
 * picks the largest that keeps each product at most 2^18 multiply-adds.
 * Results do not depend on it; tests use it to compare piece sizes. */
void flow_estimator_set_attention_rows(flow_estimator *e, int rows);

/* Multiply-adds (x2 = FLOPs) of one forward for B*T columns, for the bench. */
double flow_estimator_flops(const flow_est_config *cfg, int B, int T);

#endif
