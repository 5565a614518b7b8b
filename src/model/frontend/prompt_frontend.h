/* CosyVoice-300M's prompt front end in C: from a 16 kHz prompt recording to
 * what zero-shot and cross-lingual synthesis condition on -
 *   speech tokens   (speech_tokenizer_v1.onnx on Whisper's 128-bin log-mel),
 *   a speaker embedding [192] (campplus.onnx on an 80-bin Kaldi fbank),
 *   the flow's prompt mel [T][80] (the 22050 Hz feat_extractor of
 *   cosyvoice.yaml, after torchaudio-style resampling).
 * The ONNX files run on the built-in interpreter (src/onnx); no ONNX Runtime.
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

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

#define PROMPT_FRONTEND_CACHE_SIZE 16
#define PROMPT_FRONTEND_RATE 16000
/* The speech tokenizer (Whisper encoder) takes at most 30 s. */
#define PROMPT_FRONTEND_MAX_SECONDS 30
#define PROMPT_SPK_DIM 192

typedef struct prompt_features {
    int32_t *speech_tokens; /* [n_tokens], 50 per second */
    int n_tokens;
    float embedding[PROMPT_SPK_DIM];
    float *prompt_mel;      /* [mel_frames][n_mels], row-major */
    int mel_frames, n_mels;
} prompt_features;

typedef struct prompt_frontend prompt_frontend;

/* Loads campplus.onnx and speech_tokenizer_v1.onnx from model_dir and the
 * prompt-mel settings from its cosyvoice.yaml (feat_extractor). NULL with
 * *st set on failure (a missing file, an operator the interpreter lacks...). */
prompt_frontend *prompt_frontend_load(const char *model_dir, cv_status *st);
/* Same from explicit paths (yaml_path may be NULL: CosyVoice-300M defaults). */
prompt_frontend *prompt_frontend_load_files(const char *campplus_onnx, const char *tokenizer_onnx,
                                            const char *yaml_path, cv_status *st);
void prompt_frontend_free(prompt_frontend *pf);

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
void prompt_features_free(prompt_features *f);

/* The stages on their own (parity checks, benchmarks). */
/* tokens from a Whisper log-mel [128][T] */
cv_status prompt_frontend_tokens(const prompt_frontend *pf, const float *mel128, int T,
                                 int32_t **tokens, int *n_tokens);
/* Same, also returning the scores the tokenizer's final ArgMax chose from
 * ([n_tokens][codebook], *scores malloc'ed, *n_codes its width) - lets a
 * parity check tell a genuine mismatch from a float32 near-tie. */
cv_status prompt_frontend_tokens_scored(const prompt_frontend *pf, const float *mel128, int T,
                                        int32_t **tokens, int *n_tokens, float **scores,
                                        int *n_codes);
/* embedding[192] from a mean-normalised fbank [T][80] */
cv_status prompt_frontend_embedding(const prompt_frontend *pf, const float *fbank, int T,
                                    float *embedding);
/* Cache statistics (hits, misses) since loading. */
void prompt_frontend_cache_stats(prompt_frontend *pf, unsigned long *hits, unsigned long *misses);

#endif
