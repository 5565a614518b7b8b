/* The `llm:` section of cosyvoice.yaml as an llm_config. */
#ifndef CV_MODEL_LLM_YAML_H
#define CV_MODEL_LLM_YAML_H

#include "common/status.h"
#include "model/v1/llm.h"
#include "model/io/yaml_config.h"

/* Requires `llm` to be a cosyvoice.llm.llm.TransformerLM (CosyVoice v1). */
cv_status llm_config_from_yaml(const yaml_config *y, llm_config *out);

#endif
