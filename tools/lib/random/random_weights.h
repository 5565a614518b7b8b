/* Random weights in memory, in the shape of a state dict (pt_dict), for
 * tests and benchmarks that need a model of a given size without a
 * checkpoint. Values are uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)] (the
 * scale of PyTorch's default Linear init), LayerNorm gains near 1, drawn
 * from a seeded erand48 stream so a seed reproduces the same weights. */
#ifndef CV_MODEL_RANDOM_WEIGHTS_H
#define CV_MODEL_RANDOM_WEIGHTS_H

#include <stdint.h>

#include "common/status.h"
#include "model/io/pt_load.h"
#include "model/blocks/rel_encoder.h"

typedef struct rw_rng {
    unsigned short x[3];
} rw_rng;

rw_rng rw_rng_seed(uint64_t seed);

/* Appends a tensor "<prefix><name>" of the given shape, uniform in [-amp, amp]
 * around `center`. The dict owns it (pt_free releases it). */
cv_status rw_add(pt_dict *d, const char *prefix, const char *name, int ndim,
                 const int64_t *shape, float center, float amp, rw_rng *rng);
/* A Linear's "<name>.weight" [out][in] and, if bias, "<name>.bias" [out]. */
cv_status rw_add_linear(pt_dict *d, const char *prefix, const char *name, int in, int out,
                        bool bias, rw_rng *rng);
/* A LayerNorm's "<name>.weight" (near 1) and "<name>.bias" (near 0). */
cv_status rw_add_norm(pt_dict *d, const char *prefix, const char *name, int dim, rw_rng *rng);

/* Every tensor rel_encoder_load(d, prefix, cfg) needs. */
cv_status rw_add_rel_encoder(pt_dict *d, const char *prefix, const rel_encoder_config *cfg,
                             rw_rng *rng);

#endif
