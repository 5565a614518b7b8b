/* CosyVoice v1's token-to-audio step (the reference's
 * CosyVoiceModel.token2wav): speech tokens -> flow -> vocoder, with the
 * state that lets a stream be made of consecutive chunks without seams:
 *
 *  - the flow's (z, mu) cache, so overlapping tokens get the same noise;
 *  - mel overlap: a non-final chunk keeps its last mel_overlap frames back
 *    and the next chunk's first frames are Hamming cross-faded with them;
 *  - vocoder cache: the last mel_cache mel frames and source_cache
 *    (= mel_cache * samples per frame) source samples of the previous chunk
 *    are prepended/injected, and the speech they overlap is Hamming
 *    cross-faded with the previous chunk's held-back tail.
 *
 * One t2w_state per call (not thread-safe); models are shared read-only
 * (the flow through a flow_pool, an instance held only during the flow). */
#ifndef CV_MODEL_TOKEN2WAV_H
#define CV_MODEL_TOKEN2WAV_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "common/stop.h"
#include "model/v1/flow_pool.h"
#include "model/blocks/hift.h"
#include "nn/noise.h"

typedef struct t2w_params {
    int frame_rate;        /* speech tokens per second (50) */
    int sample_rate;       /* vocoder output rate (22050) */
    int samples_per_frame; /* vocoder samples per mel frame (256) */
    int token_min_hop;  /* 2 s of tokens (100 at 50 Hz) */
    int token_max_hop;  /* 4 s of tokens (200) */
    int token_overlap;  /* 20 */
    int first_hop;      /* tokens before the first chunk's overlap; default token_min_hop */
    float scale;        /* stream_scale_factor (>= 1): hop growth per chunk */
    int mel_overlap;    /* int(token_overlap / frame_rate * sr / samples_per_frame) = 34 */
    int mel_cache;      /* 20 */
    int source_cache;   /* mel_cache * samples_per_frame = 5120 */
} t2w_params;

/* The reference's numbers for a token frame rate, sample rate and vocoder
 * samples per mel frame. */
t2w_params t2w_params_default(int frame_rate, int sample_rate, int samples_per_frame);
/* Checks the parameters against each other (CV_INVALID_ARGUMENT). */
cv_status t2w_params_check(const t2w_params *p);

/* What a call conditions the flow on (borrowed for the state's life). */
typedef struct t2w_prompt {
    const int32_t *tokens; /* flow prompt speech tokens, may be NULL if n_tokens == 0 */
    int n_tokens;
    const float *feat;     /* prompt mel [n_frames][80] */
    int n_frames;
    const float *embedding; /* speaker x-vector [spk_embed_dim] */
} t2w_prompt;

/* Seconds spent per stage (accumulated over chunks): wall clock, and the
 * process's CPU time over the same interval (all threads; includes other
 * work of the process running meanwhile, e.g. the LM when streaming). */
typedef struct t2w_timing {
    double flow, vocoder;
    double flow_cpu, vocoder_cpu;
} t2w_timing;

/* CPU seconds used by the process so far. */
double t2w_process_cpu(void);

typedef struct t2w_state t2w_state;

/* noise is borrowed (one per call). */
cv_status t2w_new(flow_pool *flow, const hift_model *hift, const t2w_params *p,
                  const t2w_prompt *prompt, nn_noise *noise, t2w_state **out);
void t2w_free(t2w_state *s);
const t2w_params *t2w_get_params(const t2w_state *s);
/* Lets a step give up early (CV_CANCELLED) once stop asks: polled before
 * each of the flow's ODE steps and before the vocoder. Copied; NULL clears. */
void t2w_set_stop(t2w_state *s, const cv_stop *stop);

/* One step on n tokens. finalize = false: a streamed chunk whose tail is
 * held back for the next one; true: the last chunk (speed != 1 time-stretches
 * the mel by linear interpolation, allowed only when no chunk came before,
 * i.e. non-streaming). *speech (malloc'ed, may be NULL when *n_speech == 0)
 * receives float samples at the vocoder's rate. timing may be NULL. */
cv_status t2w_step(t2w_state *s, const int32_t *tokens, int n, bool finalize, float speed,
                   float **speech, int *n_speech, t2w_timing *timing);

/* mel [C][T] -> [C][int(T / speed)] by linear interpolation with
 * half-pixel centres (torch's F.interpolate(mode='linear')). *out malloc'ed. */
cv_status t2w_time_stretch(const float *mel, int C, int T, float speed, float **out, int *T_out);

/* The reference's fade_in_out: the first n (<= half) values of a[] become
 * a[i] * w[i] + b[i] * w[half + i], w being a symmetric Hamming window of
 * 2 * half and b[] the `half` values the previous piece held back. */
void t2w_fade_in_out(float *a, const float *b, int n, int half, const double *window);
/* np.hamming(n) into w[n]. */
void t2w_hamming(double *w, int n);

#endif
