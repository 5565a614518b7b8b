/* libFuzzer target: arbitrary bytes as an .onnx file for the interpreter's
 * loader (protobuf parse, initializer conversion, graph wiring, operator
 * checks). Graphs are not run: a fuzzed graph may legitimately ask for
 * tensors of any size. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "onnx/onnx_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ox_model *m = NULL;
    cv_status st = ox_model_load_memory(data, size, "fuzz.onnx", &m);
    if (cv_is_ok(&st)) {
        volatile size_t total = 0;
        for (int i = 0; i < ox_model_n_inputs(m); i++) total += strlen(ox_model_input_name(m, i));
        for (int i = 0; i < ox_model_n_outputs(m); i++) total += strlen(ox_model_output_name(m, i));
        (void)total;
    }
    ox_model_free(m);
    return 0;
}
