/* A random hift.pt state dict for a hift_config. The tensor names and
 * shapes are learnt from the loader itself (hift_load reports the first
 * missing tensor, then the shape it wants), so the file always matches what
 * model/blocks/hift.c reads, without a second copy of its layout here. */
#ifndef CV_RANDOM_HIFT_RANDOM_H
#define CV_RANDOM_HIFT_RANDOM_H

#include <stdint.h>

#include "model/blocks/hift.h"
#include "random/random_weights.h"

cv_status hift_random_state_dict(const hift_config *cfg, rw_rng *rng, pt_dict *out);

/* A vocoder of that architecture with random weights (the same for a seed),
 * for tests and benchmarks at sizes no checkpoint is at hand for. */
hift_model *hift_new_random(const hift_config *cfg, uint64_t seed, cv_status *st);

#endif
