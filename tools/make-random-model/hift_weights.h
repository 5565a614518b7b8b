/* A random hift.pt state dict for a hift_config. The tensor names and
 * shapes are learnt from the loader itself (hift_load reports the first
 * missing tensor, then the shape it wants), so the file always matches what
 * model/hift.c reads, without a second copy of its layout here. */
#ifndef CV_TOOLS_HIFT_WEIGHTS_H
#define CV_TOOLS_HIFT_WEIGHTS_H

#include <stdint.h>

#include "model/hift.h"
#include "model/random_weights.h"

cv_status hift_random_state_dict(const hift_config *cfg, rw_rng *rng, pt_dict *out);

#endif
