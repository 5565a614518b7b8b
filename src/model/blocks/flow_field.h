/* The vector-field network the conditional flow-matching sampler
 * integrates (flow_cfm.h), as an interface: the U-Net estimator of v1/v2
 * (flow_estimator.h) and CosyVoice3's DiT (v3/dit.h) both provide one.
 *
 * Layout contract (the estimator's batched channel-major layout, see
 * seg_ops.h): B items of T frames side by side,
 *   x, mu, cond, out : [M][B*T]   (row c, column b*T + t)
 *   spks             : [B][M]
 *   t                : [B] flow time in [0,1]
 *   mask             : [B*T] 0/1 frame mask, or NULL for all ones.
 * streaming asks for the network's chunked attention (a frame sees its own
 * chunk and all chunks before it); networks without one ignore it. */
#ifndef CV_MODEL_FLOW_FIELD_H
#define CV_MODEL_FLOW_FIELD_H

#include <stdbool.h>

#include "common/status.h"

typedef struct flow_vector_field {
    cv_status (*forward)(void *net, int B, int T, const float *x, const float *mu,
                         const float *t, const float *spks, const float *cond,
                         const float *mask, bool streaming, float *out);
    void *net;
} flow_vector_field;

#endif
