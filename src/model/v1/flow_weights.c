/* Shape-checked weight lookup for the flow model. */
#include "model/v1/flow_weights.h"

#include <stdio.h>

#include "common/log.h"

const float *flow_w(const pt_dict *sd, const char *prefix, const char *name, int d0, int d1,
                    int d2) {
    char full[512];
    snprintf(full, sizeof full, "%s%s", prefix ? prefix : "", name);
    int shape[3] = {d0, d1, d2};
    int nd = d2 ? 3 : d1 ? 2 : 1;
    const pt_tensor *t = pt_find(sd, full);
    if (!t) {
        LOG_ERROR("flow: weight %s missing", full);
        return NULL;
    }
    int ok = t->ndim == nd;
    for (int i = 0; ok && i < nd; i++) ok = t->shape[i] == shape[i];
    if (!ok) {
        LOG_ERROR("flow: weight %s is not shaped [%d,%d,%d]", full, d0, d1, d2);
        return NULL;
    }
    return t->data;
}
