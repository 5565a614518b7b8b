/* Binding a model's weights to the tensors of a loaded state dict, with the
 * shape checked (so a checkpoint of other sizes is refused by name). */
#ifndef CV_PT_BIND_H
#define CV_PT_BIND_H

#include "common/status.h"
#include "model/io/pt_load.h"

/* *out = the data of "<prefix><name>" if it is [d0] (d1 == 0) or [d0][d1];
 * NOT_FOUND or INVALID_ARGUMENT naming the tensor otherwise. */
cv_status pt_bind(const pt_dict *sd, const char *prefix, const char *name, int d0, int d1,
                  const float **out);

#endif
