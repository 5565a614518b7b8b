/* The prompt front end of every CosyVoice family in C: from a prompt
 * recording to what zero-shot and cross-lingual synthesis condition on -
 *   speech tokens   (speech_tokenizer_v1/v2/v3.onnx on Whisper's 128-bin
 *                   log-mel of the 16 kHz signal: 50 per second for v1,
 *                   25 for v2/v3),
 *   a speaker embedding [192] (campplus.onnx on an 80-bin Kaldi fbank of the
 *                   16 kHz signal),
 *   the flow's prompt mel [T][80] (the feat_extractor of the model's yaml:
 *                   22050 Hz for v1, 24 kHz for v2/v3).
 * The ONNX files run on the built-in interpreter (src/onnx); no ONNX Runtime.
 *
 * What the families do differently is configuration, not code
 * (prompt_frontend_family_config):
 *   - the tokenizer file;
 *   - which signal the prompt mel is computed from: v1 resamples the 16 kHz
 *     signal up to 22050 Hz (CosyVoice-300M's frontend.py), v2/v3 resample
 *     the recording itself, from its own rate, to 24 kHz (load_wav(wav, 24000));
 *   - v2/v3 trim the prompt so that mel frames = 2 x tokens
 *     (prompt_frontend_trim), as frontend_zero_shot does for 24 kHz models.
 *
 * A prompt_frontend is read-only after loading except for its feature cache
 * (guarded by a mutex): prompt_frontend_run may be called from several
 * threads at once. The cache keeps the features of the last
 * PROMPT_FRONTEND_CACHE_SIZE distinct recordings (exact PCM match, least
 * recently used evicted), since clients tend to resend the same prompt; an
 * entry holds a copy of the PCM as its key, so the cache stays under
 * 16 x (30 s of int16 + features), about 20 MB. */
#ifndef CV_PROMPT_FRONTEND_H
#define CV_PROMPT_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "model/family.h"

#define PROMPT_FRONTEND_CACHE_SIZE 16
#define PROMPT_FRONTEND_RATE 16000
/* The speech tokenizer (Whisper encoder) takes at most 30 s. */
#define PROMPT_FRONTEND_MAX_SECONDS 30
#define PROMPT_SPK_DIM 192

typedef struct prompt_features {
    int32_t *speech_tokens; /* [n_tokens] */
    int n_tokens;
    float embedding[PROMPT_SPK_DIM];
    float *prompt_mel;      /* [mel_frames][n_mels], row-major */
    int mel_frames, n_mels;
} prompt_features;

/* What a family's front end does differently (see the top of this file). */
typedef struct prompt_frontend_family {
    const char *tokenizer_file; /* "speech_tokenizer_v1.onnx", ... */
    bool mel_from_16k;          /* prompt mel from the 16 kHz signal (v1) or the recording */
    int mel_per_token;          /* 2: trim so that mel frames = 2 x tokens; 0: no trimming */
} prompt_frontend_family;

const prompt_frontend_family *prompt_frontend_family_config(cv_family f);

/* CosyVoice2/3's trimming rule (frontend_zero_shot for 24 kHz models): with F
 * prompt mel frames and N tokens, L = min(floor(F / r), N) tokens and r x L
 * frames are kept, r = mel_per_token. r = 0 keeps both. Pure: lengths only. */
void prompt_frontend_trim(int mel_frames, int n_tokens, int mel_per_token, int *keep_frames,
                          int *keep_tokens);

typedef struct prompt_frontend prompt_frontend;

/* Loads campplus.onnx and the family's speech tokenizer from model_dir, with
 * the prompt-mel settings from its cosyvoice*.yaml (feat_extractor); the
 * family is told by the yaml's name (model/family.h). NULL with *st set on
 * failure (a missing file, an operator the interpreter lacks...). */
prompt_frontend *prompt_frontend_load(const char *model_dir, cv_status *st);
/* Same from explicit paths (yaml_path may be NULL: the CosyVoice-300M
 * prompt-mel settings). */
prompt_frontend *prompt_frontend_load_files(const char *campplus_onnx, const char *tokenizer_onnx,
                                            const char *yaml_path, cv_family family,
                                            cv_status *st);
void prompt_frontend_free(prompt_frontend *pf);
cv_family prompt_frontend_family_of(const prompt_frontend *pf);
/* The prompt mel's rate (the feat_extractor's sampling_rate). */
int prompt_frontend_mel_rate(const prompt_frontend *pf);

/* Features of n samples of 16 kHz PCM. out is filled (free it with
 * prompt_features_free) or zeroed on error. Too short (< 0.1 s) or too long
 * (> 30 s) prompts are INVALID_ARGUMENT. */
cv_status prompt_frontend_run(prompt_frontend *pf, const int16_t *pcm16k, size_t n,
                              prompt_features *out);
/* Same from a recording at any rate: resampled to 16 kHz first with the
 * torchaudio-style sinc resampler, as frontend.py's load_wav does (so a
 * 24 kHz prompt gives the reference's features); cached like
 * prompt_frontend_run (keyed by rate and samples). rate: 8 kHz .. 192 kHz. */
cv_status prompt_frontend_run_rate(prompt_frontend *pf, const int16_t *pcm, size_t n, int rate,
                                   prompt_features *out);
/* Same from float samples in [-1, 1] (no cache): at 16 kHz, or at any rate. */
cv_status prompt_frontend_run_float(const prompt_frontend *pf, const float *x16k, size_t n,
                                    prompt_features *out);
cv_status prompt_frontend_run_float_rate(const prompt_frontend *pf, const float *x, size_t n,
                                         int rate, prompt_features *out);
/* Same without the family's trimming (parity checks of the rule's input). */
cv_status prompt_frontend_run_untrimmed(const prompt_frontend *pf, const float *x, size_t n,
                                        int rate, prompt_features *out);
void prompt_features_free(prompt_features *f);

/* The stages on their own (parity checks, benchmarks). */
/* tokens from a Whisper log-mel [128][T]. The tokenizer's output 0 is
 * flattened, as frontend.py does: int32 or int64, [1,N] or [1,1,N]. */
cv_status prompt_frontend_tokens(const prompt_frontend *pf, const float *mel128, int T,
                                 int32_t **tokens, int *n_tokens);
/* Same, also returning the scores the tokenizer's final ArgMax chose from
 * ([n_tokens][codebook], *scores malloc'ed, *n_codes its width) - lets a
 * parity check tell a genuine mismatch from a float32 near-tie. NOT_FOUND
 * for a tokenizer without an ArgMax (v2/v3 quantize by rounding). */
cv_status prompt_frontend_tokens_scored(const prompt_frontend *pf, const float *mel128, int T,
                                        int32_t **tokens, int *n_tokens, float **scores,
                                        int *n_codes);
/* embedding[192] from a mean-normalised fbank [T][80] */
cv_status prompt_frontend_embedding(const prompt_frontend *pf, const float *fbank, int T,
                                    float *embedding);
/* Cache statistics (hits, misses) since loading. */
void prompt_frontend_cache_stats(prompt_frontend *pf, unsigned long *hits, unsigned long *misses);

#endif
