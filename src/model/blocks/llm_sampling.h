/* Token samplers of CosyVoice's speech-token LM, over one row of scores
 * (log-probabilities; -inf entries are impossible tokens):
 *  - greedy: argmax (first index on ties), for parity runs;
 *  - nucleus: the smallest prefix of tokens sorted by probability (stable,
 *    descending) whose mass reaches top_p, at most top_k of them, sampled
 *    in proportion to their probabilities;
 *  - random: sampled from the whole distribution;
 *  - ras (repetition-aware sampling, the reference's ras_sampling): a
 *    nucleus pick; if it occurs at least win_size * tau_r times among the
 *    last win_size decoded tokens, it is excluded and the token is drawn
 *    from the whole remaining distribution instead.
 * Randomness comes from a caller-owned erand48 stream, so a seed
 * reproduces a run and concurrent decodings do not share state. */
#ifndef CV_MODEL_LLM_SAMPLING_H
#define CV_MODEL_LLM_SAMPLING_H

#include <stdint.h>

#include "common/status.h"
#include "model/io/yaml_config.h"

typedef struct llm_rng {
    unsigned short x[3];
} llm_rng;

llm_rng llm_rng_seed(uint64_t seed);
/* Uniform in [0, 1). */
double llm_rng_uniform(llm_rng *r);

typedef struct llm_sampling_params {
    float top_p;  /* 0.8 in CosyVoice-300M */
    int top_k;    /* 25 */
    int win_size; /* 10 */
    float tau_r;  /* 0.1 */
} llm_sampling_params;

/* The reference's defaults (the values above). */
llm_sampling_params llm_sampling_defaults(void);

/* The sampler a model's yaml names at `path` (e.g. "llm.sampling":
 * !name:cosyvoice.utils.common.ras_sampling with its keywords; missing
 * keywords keep the defaults). UNIMPLEMENTED for another sampler. */
cv_status llm_sampling_from_yaml(const yaml_config *y, const char *path,
                                 llm_sampling_params *out);

int llm_sample_greedy(const float *scores, int n);
/* Returns -1 if every score is -inf. */
int llm_sample_nucleus(const float *scores, int n, float top_p, int top_k, llm_rng *rng);
int llm_sample_random(const float *scores, int n, llm_rng *rng);
/* May set scores[pick] to -inf (as the reference does) before the fallback. */
int llm_sample_ras(float *scores, int n, const int32_t *decoded, int n_decoded,
                   const llm_sampling_params *p, llm_rng *rng);

#endif
