/* CosyVoice2's flow encoder (UpsampleConformerEncoder) at inference:
 *
 *   h = embed(tokens)                 Linear + LayerNorm, * sqrt(d), rel. positions
 *   h = pre_lookahead(h)              (blocks/pre_lookahead.h)
 *   h = encoders(h)                   conformer blocks, chunks of static_chunk_size tokens
 *   h = conv5(pad_left(repeat x2(h))) Upsample1D: nearest x stride, causal kernel 2*stride+1
 *   h = up_embed(h); up_encoders(h)   chunks of static_chunk_size * stride frames
 *   h = after_norm(h)
 *
 * The conformer stacks are the shared relative-position encoder
 * (blocks/rel_encoder.h) under the names "embed"/"encoders" and
 * "up_embed"/"up_encoders"; chunk masks apply only in streaming mode. The
 * pre-look-ahead and upsampling widths come from the weights (the
 * reference hard-codes 512 for both). Read-only once loaded. */
#ifndef CV_MODEL_V2_UPSAMPLE_ENCODER_H
#define CV_MODEL_V2_UPSAMPLE_ENCODER_H

#include <stdbool.h>

#include "common/status.h"
#include "model/blocks/rel_encoder.h"
#include "model/io/pt_load.h"
#include "model/io/yaml_config.h"

typedef struct upsample_encoder_config {
    rel_encoder_config blocks;    /* embed + encoders (no final norm) */
    rel_encoder_config up_blocks; /* up_embed + up_encoders + after_norm */
    int pre_lookahead_len;        /* 3 */
    int stride;                   /* 2 */
    int static_chunk_size;        /* tokens per attention chunk when streaming (25) */
} upsample_encoder_config;

/* Reads flow.encoder (an UpsampleConformerEncoder) and
 * flow.pre_lookahead_len; the up stack has the reference's 4 blocks. */
cv_status upsample_encoder_config_from_yaml(const yaml_config *y, upsample_encoder_config *cfg);

typedef struct upsample_encoder upsample_encoder;

/* Binds "<prefix>embed..." etc. of sd (borrowed). */
cv_status upsample_encoder_load(const pt_dict *sd, const char *prefix,
                                const upsample_encoder_config *cfg, upsample_encoder **out);
void upsample_encoder_free(upsample_encoder *e);
int upsample_encoder_width(const upsample_encoder *e);

/* x: n + n_ctx rows [.][input_size], the last n_ctx look-ahead only; y:
 * stride * n rows [.][output_size]. */
cv_status upsample_encoder_forward(const upsample_encoder *e, const float *x, int n, int n_ctx,
                                   bool streaming, float *y);

#endif
