/* Read-only view of a CosyVoice model directory's cosyvoice.yaml
 * (HyperPyYAML syntax), parsed with libyaml.
 *
 * Values are addressed by dotted paths from the top:
 *   "flow.decoder.estimator.channels", "hift.istft_params.n_fft";
 * sequence elements by index: "hift.resblock_dilation_sizes.1.2".
 * `!ref <key>` nodes are resolved at load time to the value they name
 * (a path from the top; text around references, as in "<dir>/x.pt", is
 * interpolated). Object tags (!new:, !name:, !apply:) are kept and can be
 * queried; nothing is instantiated. */
#ifndef CV_YAML_CONFIG_H
#define CV_YAML_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/status.h"

typedef struct yaml_config yaml_config;

cv_status yaml_config_load(const char *path, yaml_config **out);
/* Same from text in memory; `name` is only used in error messages. */
cv_status yaml_config_load_memory(const char *text, size_t len, const char *name, yaml_config **out);
void yaml_config_free(yaml_config *c);

bool yaml_config_has(const yaml_config *c, const char *path);
/* Scalars; `def` when the path is missing or the value does not parse. */
long yaml_config_int(const yaml_config *c, const char *path, long def);
double yaml_config_float(const yaml_config *c, const char *path, double def); /* accepts "1e-06" */
bool yaml_config_bool(const yaml_config *c, const char *path, bool def);      /* True/False, true/false */
const char *yaml_config_str(const yaml_config *c, const char *path, const char *def);
/* Whether the path holds YAML's null (a plain `null`, `Null`, `NULL`, `~` or
 * nothing), as Python reads `fmax: null` into None; false when missing. */
bool yaml_config_is_null(const yaml_config *c, const char *path);
/* The object a tagged node names: "cosyvoice.flow.flow.MaskedDiffWithXvec"
 * for `!new:cosyvoice.flow.flow.MaskedDiffWithXvec`; NULL if untagged. */
const char *yaml_config_tag(const yaml_config *c, const char *path);
/* "new", "name" or "apply" for those tags, else NULL. */
const char *yaml_config_tag_kind(const yaml_config *c, const char *path);
/* Elements of a sequence or pairs of a mapping; 0 for anything else. */
size_t yaml_config_len(const yaml_config *c, const char *path);
/* Key of the i-th pair of a mapping (in file order), or NULL. */
const char *yaml_config_key(const yaml_config *c, const char *path, size_t i);

#endif
