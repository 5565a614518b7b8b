/* Shared by the parity groups of the Qwen2 speech LM (check_llm_qwen2.c,
 * check_bistream.c). */
#ifndef CV_PARITY_QWEN2_H
#define CV_PARITY_QWEN2_H

#include <stdbool.h>

#include "model/blocks/qwen2_lm.h"
#include "parity.h"

/* The directory's LM (cosyvoice2.yaml: CosyVoice2's, cosyvoice3.yaml:
 * CosyVoice3's), with 8-bit weights if int8; NULL after reporting a
 * failure. */
qwen2_lm *parity_open_qwen2_lm(parity_ctx *ctx, bool int8);

#endif
