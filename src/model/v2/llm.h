/* CosyVoice2-0.5B's speech-token LM (the reference's Qwen2LM), on the
 * shared Qwen2 speech LM (blocks/qwen2_lm.h, which documents the
 * computation and the decoding API).
 *
 * What is CosyVoice2's own: the token layout. Speech tokens 0..6560
 * (speech_token_size S from cosyvoice2.yaml); speech_embedding and
 * llm_decoder (with bias) have S + 3 rows; eos = S, the other stop ids
 * S + 1 and fill = S + 2 (bistream); sos and task_id are the two rows of
 * llm_embedding; eos is masked while fewer than min_len tokens are out.
 *
 * Typical use:
 *   qwen2_lm *lm;
 *   cv2_llm_open(model_dir, yaml, NULL, &lm);     // cosyvoice2.yaml, llm.pt,
 *                                                 // CosyVoice-BlankEN/config.json
 *   qwen2_lm_generate(lm, &input, &opts, &tokens, &n);
 * with text ids from the family's tokenizer (model/frontend/text_tokenizer.h). */
#ifndef CV_MODEL_V2_LLM_H
#define CV_MODEL_V2_LLM_H

#include "common/status.h"
#include "model/blocks/qwen2_lm.h"
#include "model/io/yaml_config.h"

/* CosyVoice2's layout for speech_token_size S and the given mix ratio. */
qwen2_lm_layout cv2_llm_layout(int S, int mix_text, int mix_speech);

/* The LM configuration of a CosyVoice2 directory: cosyvoice2.yaml's llm:
 * section (y) and <model_dir>/CosyVoice-BlankEN/config.json. */
cv_status cv2_llm_config(const char *model_dir, const yaml_config *y, qwen2_lm_config *out);

/* Loads the LM of a CosyVoice2 directory from <model_dir>/<weights>
 * (weights NULL: "llm.pt"); the model owns its weights. */
cv_status cv2_llm_open(const char *model_dir, const yaml_config *y, const char *weights,
                       qwen2_lm **out);

#endif
