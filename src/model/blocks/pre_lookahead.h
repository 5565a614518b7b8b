/* The pre-look-ahead layer of CosyVoice2's flow encoder and CosyVoice3's
 * flow (PreLookaheadLayer): each token's embedding gets a residual from the
 * token and the next `len` tokens,
 *
 *   y = x + conv2(pad_left(leaky_relu(conv1(pad_right(x)))))
 *
 * with conv1 of kernel len + 1 looking right and conv2 of kernel 3 looking
 * left (causal). The right context is either real tokens (a streamed chunk
 * whose last `len` tokens serve only as look-ahead) or zeros (the final
 * chunk, or no streaming). Widths come from the weights: the reference
 * hard-codes 512 channels for CosyVoice2, the yaml gives them for
 * CosyVoice3. Read-only once loaded. */
#ifndef CV_MODEL_PRE_LOOKAHEAD_H
#define CV_MODEL_PRE_LOOKAHEAD_H

#include "common/status.h"
#include "model/io/pt_load.h"

typedef struct pre_lookahead {
    int in_channels, channels, len;
    const float *w1, *b1; /* [channels][in][len + 1] */
    const float *w2, *b2; /* [in][channels][3] */
} pre_lookahead;

/* Binds "<prefix>conv1.weight" etc. of `sd` (borrowed); len is
 * pre_lookahead_len, the channel counts are read from the weights. */
cv_status pre_lookahead_bind(pre_lookahead *p, const pt_dict *sd, const char *prefix, int len,
                             int in_channels);

/* x: T + n_ctx rows [.][in_channels] (row-major, as the token embeddings
 * are), the last n_ctx (<= len) being look-ahead only; y: T rows. y must
 * not alias x. */
cv_status pre_lookahead_forward(const pre_lookahead *p, const float *x, int T, int n_ctx,
                                float *y);

#endif
