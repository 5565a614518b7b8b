/* What every CosyVoice speech-token LM does with one step's scores, the
 * same in v1 (TransformerLM), v2 (Qwen2LM) and v3 (CosyVoice3LM): the
 * log-softmax row of llm_decoder's output, one id masked while fewer than
 * min_len tokens are out, the row shown to an observer, then the sampler
 * (the reference's repetition-aware sampling, or argmax for parity) or a
 * teacher-forced id. Only the masked id and the stop ids differ between
 * the families; the loops that call llm_pick own those. */
#ifndef CV_MODEL_LLM_DECODE_H
#define CV_MODEL_LLM_DECODE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/stop.h"
#include "model/blocks/llm_sampling.h"

/* Every family's LM reads its prefix (speaker, text, prompt speech) in
 * blocks of at most this many rows: the same result (each row sees the rows
 * before it), attention memory bounded by the block instead of the prefix
 * squared, and a cancellation poll between blocks (llm_decode_options.stop):
 * a long prompt's prefill takes seconds, and a cancelled call must not hold
 * its slot through it. */
#define LLM_PREFILL_CHUNK 256

typedef enum llm_sampling_mode {
    LLM_SAMPLE_RAS = 0, /* the reference's sampler (production) */
    LLM_SAMPLE_GREEDY,  /* argmax (parity) */
} llm_sampling_mode;

typedef struct llm_decode_options {
    llm_sampling_mode mode;
    uint64_t seed;              /* for LLM_SAMPLE_RAS */
    float min_token_text_ratio; /* 2 */
    float max_token_text_ratio; /* 20 */
    /* Called with every new token as soon as it is chosen (stop ids
     * excluded); returning false stops decoding (the call then returns OK). */
    bool (*on_token)(void *user, int32_t token);
    /* Optional: every step's log-probability row as the sampler sees it
     * (the masked id already -inf while masked), n entries. */
    void (*on_logp)(void *user, int step, const float *logp, int n);
    void *user;
    /* Checked before every step; once true, decoding returns CANCELLED. */
    const atomic_bool *cancel;
    /* Polled like cancel, and also inside the prefill, which for a long
     * text takes seconds: between blocks of LLM_PREFILL_CHUNK prefix rows
     * (every family) and between v1's text-encoder layers. May be NULL. */
    const cv_stop *stop;
    /* Threads for the per-token products (0: nn_get_threads()). */
    int n_threads;
    /* Teacher forcing, for evaluation: step i < n_forced takes forced[i]
     * instead of the sampler's choice (the log-probs are still reported);
     * forced[i] = -1 leaves step i to the sampler. */
    const int32_t *forced;
    int n_forced;
    /* Benchmarks with random weights (the engine's fixed_tokens): every stop
     * id is masked at every step, not only the family's min-length id, so
     * exactly max_len tokens come out (a random LM samples CosyVoice2/3's
     * other stop ids now and then). Never set for real decoding. */
    bool no_stop;
    /* With no_stop, streamed-text decoding (qwen2_lm_bistream) ends after
     * this many tokens in all instead of max_token_text_ratio x the text
     * ids (0: that limit); tokens chosen while text is still coming are
     * never cut, so a text longer than this gets those. */
    int stop_after;
} llm_decode_options;

/* The reference's defaults: RAS, ratios 2 and 20, no callbacks. */
llm_decode_options llm_decode_defaults(void);

/* min_len and max_len as the reference computes them:
 * int(n_text * ratio), n_text without the prompt text. */
void llm_length_limits(const llm_decode_options *o, int n_text, int *min_len, int *max_len);

/* One decoding's choosing state. */
typedef struct llm_picker {
    const llm_decode_options *o;
    const llm_sampling_params *sampling;
    llm_rng rng;
    int masked_id; /* set to -inf while step < min_len */
    int min_len;   /* may be changed between steps (INT_MAX: always masked) */
} llm_picker;

llm_picker llm_picker_new(const llm_decode_options *o, const llm_sampling_params *sampling,
                          int masked_id, int min_len);

/* Chooses the id of step `step` from logp[0..n) (log-probabilities; may be
 * modified) given the ids decoded so far, which the repetition-aware
 * sampler looks back on. Returns -1 when nothing can be chosen (every
 * score -inf). */
int llm_pick(llm_picker *p, int step, float *logp, int n, const int32_t *decoded, int n_decoded);

/* Whether every forced id of o is in [0, n) or -1. */
bool llm_forced_valid(const llm_decode_options *o, int n);

#endif
