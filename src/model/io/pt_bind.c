#include "model/io/pt_bind.h"

#include <stdio.h>

cv_status pt_bind(const pt_dict *sd, const char *prefix, const char *name, int d0, int d1,
                  const float **out)
{
    char key[256];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    const pt_tensor *t = pt_find(sd, key);
    if (!t) return cv_error(CV_NOT_FOUND, "weight %s missing", key);
    bool ok = d1 == 0 ? (t->ndim == 1 && t->shape[0] == d0)
                      : (t->ndim == 2 && t->shape[0] == d0 && t->shape[1] == d1);
    if (!ok) {
        char want[48];
        if (d1) snprintf(want, sizeof want, "[%d, %d]", d0, d1);
        else snprintf(want, sizeof want, "[%d]", d0);
        return cv_error(CV_INVALID_ARGUMENT, "weight %s has shape [%lld%s], expected %s", key,
                        (long long)(t->ndim ? t->shape[0] : 1), t->ndim > 1 ? ", ..." : "", want);
    }
    *out = t->data;
    return cv_ok();
}
