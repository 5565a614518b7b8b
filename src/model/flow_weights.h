/* Where the flow model gets its parameters from: a name -> float32 tensor
 * lookup with the expected shape, so the same model code runs on a loaded
 * checkpoint (parity, production) and on generated random weights (bench). */
#ifndef CV_MODEL_FLOW_WEIGHTS_H
#define CV_MODEL_FLOW_WEIGHTS_H

#include <stddef.h>

typedef struct flow_wsrc {
    /* Returns the tensor called `name` (C order, float32) if it exists with
     * exactly `ndim` dims of sizes `shape`, else NULL. The memory stays owned
     * by the source and must outlive the model. */
    const float *(*get)(void *ctx, const char *name, int ndim, const int *shape);
    void *ctx;
} flow_wsrc;

/* Convenience: looks up "<prefix><name>" with up to 3 dims (unused = 0).
 * Logs the missing/mismatching name and returns NULL on failure. */
const float *flow_w(const flow_wsrc *src, const char *prefix, const char *name,
                    int d0, int d1, int d2);

#endif
