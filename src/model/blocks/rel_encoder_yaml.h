/* Reads a relative-position encoder's hyper-parameters from a
 * cosyvoice.yaml node such as "llm.text_encoder", "llm.llm" or
 * "flow.encoder" (a `!new:cosyvoice.transformer.encoder.ConformerEncoder` or
 * `...TransformerEncoder`), applying the reference classes' defaults for
 * keys the file leaves out. Configurations this engine does not implement
 * (convolution module, macaron feed-forward, other positional encodings or
 * input layers, post-norm, dynamic chunks) are refused with UNIMPLEMENTED. */
#ifndef CV_MODEL_REL_ENCODER_YAML_H
#define CV_MODEL_REL_ENCODER_YAML_H

#include "common/status.h"
#include "model/blocks/rel_encoder.h"
#include "model/io/yaml_config.h"

cv_status rel_encoder_config_from_yaml(const yaml_config *y, const char *path,
                                       rel_encoder_config *out);

#endif
