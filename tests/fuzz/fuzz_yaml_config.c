/* libFuzzer target: arbitrary bytes as cosyvoice.yaml, then the lookups
 * the engine makes. */
#include <stddef.h>
#include <stdint.h>

#include "model/io/yaml_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yaml_config *c = NULL;
    cv_status s = yaml_config_load_memory((const char *)data, size, "fuzz.yaml", &c);
    if (!cv_is_ok(&s)) return 0;
    static const char *paths[] = {"", "a", "a.b", "a.0", "a.b.c", "sample_rate", "flow.decoder.estimator.channels.0",
                                  "b", "c", "0", "a.1.b"};
    for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
        (void)yaml_config_int(c, paths[k], 0);
        (void)yaml_config_float(c, paths[k], 0);
        (void)yaml_config_str(c, paths[k], "");
        (void)yaml_config_tag(c, paths[k]);
        (void)yaml_config_tag_kind(c, paths[k]);
        (void)yaml_config_bool(c, paths[k], false);
        size_t n = yaml_config_len(c, paths[k]);
        for (size_t i = 0; i < n && i < 4; i++) (void)yaml_config_key(c, paths[k], i);
    }
    yaml_config_free(c);
    return 0;
}
