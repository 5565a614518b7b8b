/* Text fed in pieces while speech tokens come out: the reference's
 * Qwen2LM.inference_bistream (CosyVoice2 and 3), for speaking an answer
 * while another LM is still writing it.
 *
 * The schedule (mix ratio 5 text : 15 speech from the yaml, fill token
 * from the layout):
 *  - Text ids collect in a cache that starts with the prompt text. While
 *    prompt speech tokens are left and the cache holds at least 5 ids, 5
 *    text ids and the next (up to) 15 prompt speech tokens join the pending
 *    input; nothing runs until the prompt speech is used up.
 *  - Then LM steps run, each feeding the pending input (positions continue
 *    in the key/value cache) and choosing from its last position: the fill
 *    token is forced when the number of ids chosen so far reaches
 *    next_fill_index ((P / 15 + 1) * 15 - P for P prompt speech tokens, then
 *    16 past each fill); otherwise the sampler chooses with eos masked. A
 *    speech token is emitted and becomes the pending input; a fill ends the
 *    run, and the next 5 text ids become the pending input (waiting for
 *    text while fewer are cached). One piece starts at most one run.
 *  - At the end of the text: pending input + the rest of the cache +
 *    task_id are fed, and steps run with nothing masked until eos.
 * With no prompt speech the first run starts with sos and 5 text ids.
 *
 * Reproduced as the reference computes it (v2_bistream_* parity): after a
 * fill the pending input is still the last speech token, already fed by the
 * step that chose the fill, so if the text ends there it is fed a second
 * time; prompt speech not yet fed when the text ends is never fed; there is
 * no min_len in this mode; the ids the sampler looks back on include the
 * fills. The reference's front end hands the text over one id per piece.
 *
 * Where the reference breaks, this does what the schedule means instead
 * (see docs/cosyvoice2_lm.md): a stop id other than fill chosen while text is
 * still coming (the reference raises; possible for v3, whose masked id is
 * sos, not eos) is taken as a fill (wait for more text); any stop id ends
 * the final phase (the reference raises on all but eos); the final phase
 * stops after int(max_token_text_ratio * text ids) emitted tokens (the
 * reference has no limit); and for v3, whose input starts with the prompt
 * text up to <|endofprompt|> (which the prompt text must hold), the first
 * run without prompt speech waits for 5 text ids as for v2 (the
 * reference's test for "nothing fed yet" only recognises v2's lone sos, so
 * it would decode 15 tokens from the instruction alone). */
#ifndef CV_MODEL_QWEN2_LM_BISTREAM_H
#define CV_MODEL_QWEN2_LM_BISTREAM_H

#include "model/blocks/qwen2_lm.h"

typedef struct qwen2_lm_bistream qwen2_lm_bistream;

/* One fed input position: the table and row its embedding comes from. */
typedef struct qwen2_lm_fed {
    qwen2_lm_table table;
    int row;
} qwen2_lm_fed;

/* How a step's id was chosen (the golden data's step_kind). */
typedef enum qwen2_lm_step_kind {
    QWEN2_LM_STEP_TEXT = 0,  /* sampled with eos masked, text still coming */
    QWEN2_LM_STEP_FILL = 1,  /* fill forced by the schedule (nothing sampled) */
    QWEN2_LM_STEP_FINAL = 2, /* sampled with nothing masked, after the text ended */
} qwen2_lm_step_kind;

/* For tests and parity: every LM step, what it fed and what it chose. */
typedef struct qwen2_lm_bistream_trace {
    void (*on_step)(void *user, int step, qwen2_lm_step_kind kind, int32_t id,
                    const qwen2_lm_fed *fed, int n_fed);
    void *user;
} qwen2_lm_bistream_trace;

/* Starts a decoding with its prompt (either may be empty). o is borrowed
 * for the decoding's life: its sampler, seed, max_token_text_ratio,
 * callbacks (on_token gets each speech token as it is chosen; returning
 * false ends the decoding; on_logp gets every step's row, a forced fill's
 * as computed), cancel flag, threads and forced ids (by step) apply; its
 * min_token_text_ratio does not. trace may be NULL. INVALID_ARGUMENT for
 * ids out of range or (v3) a prompt text without <|endofprompt|>. */
cv_status qwen2_lm_bistream_new(const qwen2_lm *m, const int32_t *prompt_text, int n_prompt_text,
                                const int32_t *prompt_speech, int n_prompt_speech,
                                const llm_decode_options *o, const qwen2_lm_bistream_trace *trace,
                                qwen2_lm_bistream **out);

/* One piece of text (n >= 0 ids); runs the LM steps the schedule allows.
 * After an error, a stop by on_token or finish, it does nothing and
 * returns the same status (OK after a stop or finish). */
cv_status qwen2_lm_bistream_feed(qwen2_lm_bistream *b, const int32_t *text, int n);

/* The text has ended: decodes until eos. */
cv_status qwen2_lm_bistream_finish(qwen2_lm_bistream *b);

/* The speech tokens emitted so far (valid until the next call on b). */
const int32_t *qwen2_lm_bistream_tokens(const qwen2_lm_bistream *b, int *n);

void qwen2_lm_bistream_free(qwen2_lm_bistream *b);

#endif
