/* Named weight lookup helper for the flow model. */
#include "model/flow_weights.h"

#include <stdio.h>

#include "common/log.h"

const float *flow_w(const flow_wsrc *src, const char *prefix, const char *name, int d0, int d1,
                    int d2) {
    char full[512];
    snprintf(full, sizeof full, "%s%s", prefix ? prefix : "", name);
    int shape[3] = {d0, d1, d2};
    int nd = d2 ? 3 : d1 ? 2 : 1;
    const float *p = src->get(src->ctx, full, nd, shape);
    if (!p) LOG_ERROR("flow: weight %s missing or not shaped [%d,%d,%d]", full, d0, d1, d2);
    return p;
}
