/* libFuzzer target: arbitrary bytes as data.pkl, with storages served from
 * a synthetic reader. Mutated zips rarely get past libzip's CRC checks, so
 * this reaches the pickle VM, tensor checks and materialisation directly. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/io/pt_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every storage exists and holds a byte pattern; its size is whatever the
 * pickle asks for (the budget below keeps that bounded). */
static cv_status fake_storage(void *ctx, const char *key, uint64_t nbytes, uint8_t **buf)
{
    (void)ctx;
    if (key[0] == 'x') return cv_error(CV_INVALID_ARGUMENT, "no storage %s", key);
    *buf = malloc(nbytes ? nbytes : 1);
    if (!*buf) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    for (uint64_t k = 0; k < nbytes; k++) (*buf)[k] = (uint8_t)(k * 37 + 11);
    return cv_ok();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pt_tensor_refs refs;
    cv_status s = pt_pickle_parse(data, size, "fuzz.pkl", &refs);
    if (!cv_is_ok(&s)) return 0;
    pt_dict d;
    s = pt_materialize(&refs, fake_storage, NULL, "fuzz.pkl", 64u << 20, &d);
    if (cv_is_ok(&s)) (void)pt_fold_weight_norm(&d);
    pt_free(&d);
    pt_tensor_refs_free(&refs);
    return 0;
}
