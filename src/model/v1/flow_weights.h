/* Shape-checked access to the flow model's parameters in a loaded (or, for
 * the bench, generated) state dict. */
#ifndef CV_MODEL_FLOW_WEIGHTS_H
#define CV_MODEL_FLOW_WEIGHTS_H

#include "model/io/pt_load.h"

/* Data of tensor "<prefix><name>" if it has exactly the dims d0[,d1[,d2]]
 * (trailing zeros = fewer dims); otherwise logs the name and returns NULL.
 * The pointer is borrowed from `sd`. */
const float *flow_w(const pt_dict *sd, const char *prefix, const char *name, int d0, int d1,
                    int d2);

#endif
