/* The speech-token LM of CosyVoice2 and CosyVoice3 (the reference's Qwen2LM
 * and its subclass CosyVoice3LM): a Qwen2 decoder (qwen2.h) read by
 * embeddings from three tables and decoded one speech token at a time.
 *
 * Input positions, all embeddings of width hidden:
 *   [sos, text of prompt_text ++ text, task_id, prompt speech tokens...]
 * text through Qwen2's embed_tokens, speech tokens through speech_embedding,
 * sos and task_id from llm_embedding (v2) or speech_embedding (v3). Each
 * step: llm_decoder(last hidden state) -> log_softmax -> llm_pick
 * (blocks/llm_decode.h) -> the id; a stop id ends decoding (not emitted),
 * any other id is emitted and fed back through speech_embedding.
 * min_len = int(2 n_text), max_len = int(20 n_text), n_text without the
 * prompt text; while step < min_len one id is masked -- the reference masks
 * index speech_token_size in both families, which is eos for v2 but sos for
 * v3 (so v3's eos is not held back: reproduced for parity).
 *
 * The two families differ only in the layout below, which v2/llm.c and
 * v3/llm.c fill in. Text may also be fed in pieces while speech tokens come
 * out (inference_bistream): qwen2_lm_bistream.h.
 *
 * A loaded model is read-only and can serve concurrent decodings. */
#ifndef CV_MODEL_QWEN2_LM_H
#define CV_MODEL_QWEN2_LM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "model/blocks/llm_decode.h"
#include "model/blocks/llm_sampling.h"
#include "model/blocks/qwen2.h"
#include "model/io/pt_load.h"
#include "model/io/yaml_config.h"

typedef struct qwen2_lm_layout {
    int speech_token_size; /* 6561: speech tokens are 0 .. speech_token_size-1 */
    int n_speech_rows;     /* rows of speech_embedding and llm_decoder: S+3 (v2), S+200 (v3) */
    /* sos and task_id: rows of llm_embedding [2][hidden] (v2: 0, 1) or,
     * when in_speech_table, of speech_embedding (v3: S, S+2) */
    bool sos_task_in_speech_table;
    int sos_row, task_row;
    int eos;               /* S (v2), S+1 (v3) */
    int fill;              /* bistream's fill token: S+2 (v2), S+3 (v3) */
    int stop_from, stop_to; /* chosen ids in [stop_from, stop_to) end decoding */
    int min_len_masked;    /* the id masked while step < min_len */
    bool decoder_bias;     /* llm_decoder has a bias (v2) or not (v3) */
    /* A text id that prompt_text ++ text must contain (v3: <|endofprompt|>
     * 151646, which CosyVoice3LM asserts), or -1. */
    int32_t required_text_id;
    int mix_text, mix_speech; /* bistream: 5 text : 15 speech */
} qwen2_lm_layout;

typedef struct qwen2_lm_config {
    qwen2_config qwen;      /* CosyVoice-BlankEN/config.json */
    qwen2_lm_layout layout; /* the family's */
    llm_sampling_params sampling;
} qwen2_lm_config;

typedef struct qwen2_lm qwen2_lm;

/* Binds the weights of llm.pt (borrowed: sd must outlive the model):
 * "llm.model.model.*" (Qwen2), "speech_embedding.weight",
 * "llm_decoder.weight" (+ ".bias"), and for v2 "llm_embedding.weight". */
cv_status qwen2_lm_load(const pt_dict *sd, const qwen2_lm_config *cfg, qwen2_lm **out);
void qwen2_lm_free(qwen2_lm *m);
/* Hands the weights over to the model (*sd is emptied; freed with m). */
void qwen2_lm_own_weights(qwen2_lm *m, pt_dict *sd);
/* 8-bit weights for token-by-token decoding: the decoder's layers and
 * llm_decoder (a quarter of the memory traffic per token); prompts and the
 * embeddings stay float32. Call before sharing the model between threads. */
cv_status qwen2_lm_quantize(qwen2_lm *m);
const qwen2_lm_config *qwen2_lm_cfg(const qwen2_lm *m);
const qwen2 *qwen2_lm_decoder(const qwen2_lm *m);

typedef struct qwen2_lm_input {
    const int32_t *text; /* n_text >= 1 text ids */
    int n_text;
    const int32_t *prompt_text; /* may be empty */
    int n_prompt_text;
    const int32_t *prompt_speech; /* speech tokens, may be empty */
    int n_prompt_speech;
} qwen2_lm_input;

/* Decodes speech tokens (o: blocks/llm_decode.h; the log-prob rows it shows
 * have n_speech_rows entries). *tokens (malloc'd, NULL when none) and
 * *n_tokens receive everything produced, also when cancelled or stopped.
 * INVALID_ARGUMENT for ids out of range, or a required text id missing. */
cv_status qwen2_lm_generate(const qwen2_lm *m, const qwen2_lm_input *in,
                            const llm_decode_options *o, int32_t **tokens, int *n_tokens);

/* A family's token layout for its yaml's speech_token_size and mix ratio. */
typedef qwen2_lm_layout (*qwen2_lm_layout_fn)(int speech_token_size, int mix_text,
                                              int mix_speech);

/* The LM configuration of a model directory: the yaml's `llm:` section (y),
 * which must be of class expect_class (e.g. "cosyvoice.llm.llm.Qwen2LM"),
 * <model_dir>/CosyVoice-BlankEN/config.json (the Qwen2 sizes; the yaml's
 * llm_input_size / llm_output_size must be its hidden size), the sampler,
 * and `layout` for the yaml's speech_token_size and mix_ratio. */
cv_status qwen2_lm_config_from_dir(const char *model_dir, const yaml_config *y,
                                   const char *expect_class, qwen2_lm_layout_fn layout,
                                   qwen2_lm_config *cfg);

/* Reads <model_dir>/<weights> (NULL: "llm.pt") and binds it with cfg; the
 * model owns the weights. */
cv_status qwen2_lm_open(const char *model_dir, const char *weights, const qwen2_lm_config *cfg,
                        qwen2_lm **out);

/* ---- for qwen2_lm_bistream.c and tests ------------------------------------ */

/* Where an input position's embedding comes from. */
typedef enum qwen2_lm_table {
    QWEN2_LM_LLM_EMBEDDING = 0, /* llm_embedding row (v2's sos / task_id) */
    QWEN2_LM_TEXT = 1,          /* Qwen2 embed_tokens */
    QWEN2_LM_SPEECH = 2,        /* speech_embedding */
} qwen2_lm_table;

/* The row `row` of `table` ([hidden] floats), or NULL if out of range. */
const float *qwen2_lm_row(const qwen2_lm *m, qwen2_lm_table table, int row);
/* sos / task_id as (table, row) of the layout. */
void qwen2_lm_sos(const qwen2_lm *m, qwen2_lm_table *table, int *row);
void qwen2_lm_task(const qwen2_lm *m, qwen2_lm_table *table, int *row);
/* Log-probabilities of the next id from a final hidden state h [hidden]:
 * logp [n_speech_rows] (int8 llm_decoder after qwen2_lm_quantize). */
void qwen2_lm_logp(const qwen2_lm *m, const float *h, float *logp, nn_pool *pool);
/* Whether `id` ends decoding. */
bool qwen2_lm_is_stop(const qwen2_lm *m, int id);
/* Range checks of text ids (Qwen2 vocabulary) and speech tokens. */
cv_status qwen2_lm_check_text(const qwen2_lm *m, const int32_t *ids, int n, const char *what);
cv_status qwen2_lm_check_speech(const qwen2_lm *m, const int32_t *ids, int n, const char *what);

#endif
