/* HiFT vocoder: mel spectrogram -> speech. Neural source filter (f0
 * predictor + harmonic sine source) feeding an iSTFTNet-style decoder. One
 * block, configured for the three families:
 *
 *   CosyVoice-300M   HiFTGenerator, 22.05 kHz, SineGen (phase summed per sample)
 *   CosyVoice2       HiFTGenerator, 24 kHz, SineGen2 (phase summed per mel
 *                    frame, linearly interpolated back to samples)
 *   CosyVoice3       CausalHiFTGenerator, 24 kHz: causal convolutions (the
 *                    first ones looking a few frames right), nearest-neighbour
 *                    upsampling + causal convolution instead of transposed
 *                    convolutions, the f0 predictor in float64, and SineGen2's
 *                    causal form (phase held over each frame: a staircase)
 *                    with its noise sliced from a fixed buffer.
 *
 * All sizes come from the `hift` section of the yaml and the shapes in
 * hift.pt; weights are read-only after loading, so one model can serve
 * concurrent calls (each call allocates its own activations).
 *
 * Layouts: mel is [in_channels][T] (channel-first, as the flow produces
 * it); f0 is [T]; source and speech are [T * samples_per_frame] where
 * samples_per_frame = prod(upsample_rates) * istft hop.
 *
 * finalize (causal models only; ignored otherwise): false treats the last
 * mel frames as right context of a stream that goes on: the f0 predictor
 * keeps its look-ahead frames back (f0 and source cover T - f0_look_right
 * frames) and the decoder keeps conv_pre's look-ahead and one more frame
 * back, so audio for T - f0_look_right - conv_pre_look_right - 1 frames
 * comes out (8 fewer for Fun-CosyVoice3-0.5B). */
#ifndef CV_MODEL_HIFT_H
#define CV_MODEL_HIFT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "model/io/pt_load.h"
#include "nn/noise.h"

#define HIFT_MAX_STAGES 4
#define HIFT_MAX_KERNELS 4
#define HIFT_MAX_DILATIONS 4

/* How the harmonic source builds its phase (the reference's SineGen or
 * SineGen2); see the list above. */
typedef enum hift_sine {
    HIFT_SINE_SAMPLES = 0, /* SineGen */
    HIFT_SINE_FRAMES,      /* SineGen2 */
    HIFT_SINE_STAIRCASE,   /* SineGen2(causal=True) */
} hift_sine;

typedef struct hift_config {
    int in_channels, base_channels;
    int nb_harmonics, sampling_rate;
    float nsf_alpha, nsf_sigma, nsf_voiced_threshold;
    int n_stages; /* len(upsample_rates) */
    int upsample_rates[HIFT_MAX_STAGES], upsample_kernels[HIFT_MAX_STAGES];
    int n_fft, hop;
    int n_kernels; /* len(resblock_kernel_sizes) */
    int resblock_kernels[HIFT_MAX_KERNELS];
    int n_dilations[HIFT_MAX_KERNELS];
    int resblock_dilations[HIFT_MAX_KERNELS][HIFT_MAX_DILATIONS];
    /* one source resblock per stage */
    int source_kernels[HIFT_MAX_STAGES];
    int n_source_dilations[HIFT_MAX_STAGES];
    int source_dilations[HIFT_MAX_STAGES][HIFT_MAX_DILATIONS];
    float lrelu_slope, audio_limit;
    int f0_cond_channels; /* f0 predictor width */
    hift_sine sine;       /* SineGen at 22050 Hz, SineGen2 otherwise (the reference's rule) */
    bool causal;          /* CausalHiFTGenerator */
    int conv_pre_look_right; /* causal: conv_pre's right context in frames (4) */
    bool f0_causal;       /* CausalConvRNNF0Predictor: first conv looks right */
    bool f0_double;       /* the f0 predictor runs in float64 */
} hift_config;

typedef struct yaml_config yaml_config;
typedef struct hift_model hift_model;

/* Reads the `hift` section (tags !new:/!ref already resolved by the loader):
 * HiFTGenerator or CausalHiFTGenerator, with a ConvRNNF0Predictor or
 * CausalConvRNNF0Predictor. */
cv_status hift_config_from_yaml(const yaml_config *y, hift_config *cfg);

/* Builds the model over `weights` (a hift.pt state dict): folds weight
 * normalisation in place and borrows the tensors, so `weights` must outlive
 * the model. Every tensor's shape is checked against cfg. NULL on error
 * (reason in *st). */
hift_model *hift_load(const hift_config *cfg, pt_dict *weights, cv_status *st);
/* Same, but the model takes `weights` (a malloc'ed pt_dict) and frees it
 * with itself, also when loading fails. */
hift_model *hift_load_owned(const hift_config *cfg, pt_dict *weights, cv_status *st);
/* Convenience: the yaml (cosyvoice.yaml, cosyvoice2.yaml or
 * cosyvoice3.yaml, whichever the directory holds) + hift.pt of a model
 * directory; the model owns the weights. */
hift_model *hift_open(const char *model_dir, cv_status *st);
void hift_free(hift_model *m);
const hift_config *hift_get_config(const hift_model *m);
/* Output samples per mel frame (256 for CosyVoice-300M, 480 for v2/v3). */
int hift_samples_per_frame(const hift_model *m);
/* Frames of f0 and source for T mel frames (T, or fewer when a causal
 * model is not finalizing; see above). */
int hift_f0_frames(const hift_model *m, int T, bool finalize);
/* Samples hift_decode_ex makes from T mel frames, and hift_infer_ex. <= 0
 * when T is too short. */
int hift_decode_samples(const hift_model *m, int T, bool finalize);
int hift_infer_samples(const hift_model *m, int T, bool finalize);

/* f0[T] (Hz) predicted from mel[in_channels][T] (finalize = true). */
cv_status hift_f0(const hift_model *m, const float *mel, int T, float *f0);
/* f0[hift_f0_frames(T, finalize)]. */
cv_status hift_f0_ex(const hift_model *m, const float *mel, int T, bool finalize, float *f0);
/* Harmonic-plus-noise excitation for f0[T]: source[T * samples_per_frame].
 * Random draws (phase offsets, additive noise) come from `noise`. */
cv_status hift_source(const hift_model *m, const float *f0, int T, nn_noise *noise,
                      float *source);
/* speech[T * samples_per_frame] from mel[in_channels][T] and a source of
 * T * samples_per_frame samples (finalize = true). */
cv_status hift_decode(const hift_model *m, const float *mel, int T, const float *source,
                      float *speech);
/* speech[hift_decode_samples(T, finalize)] from the same inputs. */
cv_status hift_decode_ex(const hift_model *m, const float *mel, int T, const float *source,
                         bool finalize, float *speech);
/* Whole vocoder: f0 -> source -> (first cache_len source samples replaced by
 * cache_source, to continue a stream without a glitch) -> decode.
 * speech and source (may be NULL) receive T * samples_per_frame samples;
 * cache_len must not exceed that. */
cv_status hift_infer(const hift_model *m, const float *mel, int T,
                     const float *cache_source, int cache_len, nn_noise *noise,
                     float *speech, float *source);
/* The same with finalize (causal models): speech receives
 * hift_infer_samples(T, finalize) samples and source (may be NULL)
 * hift_f0_frames(T, finalize) * samples_per_frame. */
cv_status hift_infer_ex(const hift_model *m, const float *mel, int T, bool finalize,
                        const float *cache_source, int cache_len, nn_noise *noise,
                        float *speech, float *source);

#endif
