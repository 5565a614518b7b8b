/* libFuzzer target: arbitrary bytes as a whole .pt archive (zip + pickle +
 * storages). Must never crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>

#include "model/io/pt_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pt_dict d;
    cv_status s = pt_load_memory(data, size, "fuzz.pt", &d);
    if (cv_is_ok(&s)) {
        for (size_t k = 0; k < d.count; k++) (void)pt_find(&d, d.items[k].name);
        (void)pt_fold_weight_norm(&d);
    }
    pt_free(&d);
    return 0;
}
