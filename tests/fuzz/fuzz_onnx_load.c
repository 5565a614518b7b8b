/* libFuzzer target: arbitrary bytes as an .onnx file for the interpreter -
 * the loader (protobuf parse, initializer conversion, graph wiring, operator
 * checks) and, when the file loads, one run of the graph with a small float
 * tensor bound to every input. Tensors are capped at 2^20 elements so a
 * fuzzed graph cannot exhaust memory; exceeding it is an error, not a crash. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "onnx/onnx_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ox_set_element_limit((size_t)1 << 20);
    ox_model *m = NULL;
    cv_status st = ox_model_load_memory(data, size, "fuzz.onnx", &m);
    if (!cv_is_ok(&st)) return 0;
    const int ni = ox_model_n_inputs(m), no = ox_model_n_outputs(m);
    if (ni <= 8 && no <= 8) {
        const int64_t shape[3] = {1, 2, 4};
        ox_tensor *x = ox_tensor_new(OX_FLOAT, 3, shape);
        if (x) {
            for (size_t i = 0; i < x->count; i++) ox_f(x)[i] = (float)i * 0.25f - 1.0f;
            const ox_tensor *in[8];
            ox_tensor *out[8] = {0};
            for (int i = 0; i < ni; i++) in[i] = x;
            st = ox_run(m, in, out);
            for (int j = 0; j < no; j++) ox_tensor_free(out[j]);
            ox_tensor_free(x);
        }
    }
    ox_model_free(m);
    return 0;
}
