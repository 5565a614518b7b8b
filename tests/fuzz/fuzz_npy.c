/* libFuzzer target: arbitrary bytes as a .npy file. */
#include <stddef.h>
#include <stdint.h>

#include "model/io/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npy_array a;
    cv_status s = npy_load_memory(data, size, "fuzz.npy", &a);
    if (cv_is_ok(&s) && a.count) {
        volatile float x = a.data[a.count - 1];
        (void)x;
    }
    npy_free(&a);
    return 0;
}
