/* Everything the cosyvoice engine loads once from an unmodified
 * CosyVoice-300M / -SFT / -Instruct model directory and shares read-only
 * between calls: cosyvoice.yaml, llm.pt, flow.pt (through a pool of flow
 * instances), hift.pt, spk2info.pt and the text tokenizer's vocabulary. */
#ifndef CV_ENGINE_COSYVOICE_MODEL_H
#define CV_ENGINE_COSYVOICE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "model/blocks/causal_t2w.h"
#include "model/blocks/instance_pool.h"
#include "model/blocks/qwen2_lm.h"
#include "model/family.h"
#include "model/v1/flow_pool.h"
#include "model/v2/flow.h"
#include "model/v3/flow.h"
#include "model/blocks/hift.h"
#include "model/v1/llm.h"
#include "model/frontend/prompt_frontend.h"
#include "model/io/pt_load.h"
#include "model/io/spk2info.h"
#include "model/v1/token2wav.h"
#include "model/io/yaml_config.h"
#include "text/bpe_tokenizer.h"

/* Settings from engine_options (--threads, --engine-opt KEY=VALUE). */
typedef struct cv_settings {
    int n_threads;      /* compute threads per call */
    int first_hop;      /* first_hop=N: tokens before the first chunk (0: the reference's:
                           v1 100 + overlap; v2/v3 25 + prompt pad, see causal_t2w.h) */
    float stream_scale; /* stream_scale=F: hop growth factor, >= 1 (reference: 1) */
    bool have_seed;     /* seed=N: fixed sampling/noise seed for every call (tests) */
    uint64_t seed;
    int fixed_tokens;   /* fixed_tokens=N: exactly N speech tokens per segment, eos
                           ignored (benchmarks with random weights) */
    bool greedy;        /* sampling=greedy: argmax instead of the reference's sampler
                           (parity tests); sampling=ras: the default */
    bool lm_int8;       /* lm_int8=1: 8-bit LM weights for token decoding (llm_quantize) */
    const char *speakers_file; /* --speakers, or NULL */
    bool bf16;          /* precision=bf16: flow, vocoder and LM products with weights in
                           bfloat16 (CPUs with AVX512_BF16 or AMX); fp32 (default) otherwise */
    /* lm_yield=auto|on|off: the LM thread parks while the call's token-to-audio
       computes a chunk whose tokens it has delivered (token_queue.h). auto: on
       when the LM's threads plus the flow's (n_threads each) exceed the online
       CPUs. lm_yield is the resolved choice, lm_yield_mode what was asked. */
    bool lm_yield;
    const char *lm_yield_mode; /* "auto", "on" or "off" */
    int online_cpus;           /* sysconf at parse time (what auto compared with) */
} cv_settings;

/* Parses "key=value" settings; unknown keys are CV_INVALID_ARGUMENT. */
cv_status cv_settings_parse(const char *const *params, size_t n, int n_threads,
                            cv_settings *out);

typedef struct cv_model {
    cv_family family;
    yaml_config *yaml;
    pt_dict llm_sd, flow_sd;
    spk_table speakers; /* spk2info.pt: SFT speakers and saved voices */
    llm_config llm_cfg;
    llm_model *llm;
    flow_config flow_cfg;
    flow_pool *flow;
    hift_model *hift;
    int sample_rate;
    bpe_tokenizer *tok;
    /* sft / instruct speakers: the voices with an 'embedding', in file order */
    int n_speakers;
    const char **speaker_names;       /* into speakers */
    const float **speaker_embeddings; /* [spk_embed_dim] each, into speakers */
    t2w_params t2w; /* v1 */
    /* v2 / v3 (cv_family_v2v3.c): Qwen2 LM, pool of causal flows, their
     * fixed noise buffer (the reference's rand_noise, drawn once) */
    qwen2_lm *qlm;
    instance_pool *causal_flows;
    nn_noise *flow_noise;
    flow2_config flow2_cfg; /* borrowed by causal_flows */
    flow3_config flow3_cfg;
    causal_t2w_params ct2w;
    int lookahead; /* the flow's pre_lookahead_len */
    int32_t *v3_system; /* v3: cv3_llm_system_prompt()'s ids, tokenized at load */
    int n_v3_system;
    const spk_voice **speaker_voices; /* [n_speakers], into speakers */
    int n_mels, spk_dim; /* the flow's mel bins and x-vector width */
    /* zero_shot / cross_lingual: NULL when the directory lacks campplus.onnx
     * or speech_tokenizer_v1.onnx (prompt_frontend_why says why) */
    prompt_frontend *prompt_fe;
    char prompt_frontend_why[CV_STATUS_MSG_MAX];
    double load_seconds;
} cv_model;

cv_status cv_model_load(const char *dir, const cv_settings *set, cv_model **out);
void cv_model_free(cv_model *m);
/* The speaker's embedding, or NULL. */
const float *cv_model_speaker(const cv_model *m, const char *name);
/* The speaker's voice (SFT entry and/or saved voice), or NULL. */
const spk_voice *cv_model_voice(const cv_model *m, const char *name);

#endif
