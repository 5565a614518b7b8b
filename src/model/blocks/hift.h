/* HiFT vocoder of CosyVoice-300M (v1): mel spectrogram -> 22.05 kHz speech.
 * Neural source filter (f0 predictor + harmonic sine source) feeding an
 * iSTFTNet-style decoder. All sizes come from the `hift` section of
 * cosyvoice.yaml and the shapes in hift.pt; weights are read-only after
 * loading, so one model can serve concurrent calls (each call allocates
 * its own activations).
 *
 * Layouts: mel is [in_channels][T] (channel-first, as the flow produces
 * it); f0 is [T]; source and speech are [T * samples_per_frame] where
 * samples_per_frame = prod(upsample_rates) * istft hop. */
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
} hift_config;

typedef struct yaml_config yaml_config;
typedef struct hift_model hift_model;

/* Reads the `hift` section (tags !new:/!ref already resolved by the loader). */
cv_status hift_config_from_yaml(const yaml_config *y, hift_config *cfg);

/* Builds the model over `weights` (a hift.pt state dict): folds weight
 * normalisation in place and borrows the tensors, so `weights` must outlive
 * the model. Every tensor's shape is checked against cfg. NULL on error
 * (reason in *st). */
hift_model *hift_load(const hift_config *cfg, pt_dict *weights, cv_status *st);
/* Same, but the model takes `weights` (a malloc'ed pt_dict) and frees it
 * with itself, also when loading fails. */
hift_model *hift_load_owned(const hift_config *cfg, pt_dict *weights, cv_status *st);
/* Convenience: cosyvoice.yaml + hift.pt of a model directory; the model
 * owns the weights. */
hift_model *hift_open(const char *model_dir, cv_status *st);
void hift_free(hift_model *m);
const hift_config *hift_get_config(const hift_model *m);
/* Output samples per mel frame (256 for CosyVoice-300M). */
int hift_samples_per_frame(const hift_model *m);

/* f0[T] (Hz) predicted from mel[in_channels][T]. */
cv_status hift_f0(const hift_model *m, const float *mel, int T, float *f0);
/* Harmonic-plus-noise excitation for f0[T]: source[T * samples_per_frame].
 * Random draws (phase offsets, additive noise) come from `noise`. */
cv_status hift_source(const hift_model *m, const float *f0, int T, nn_noise *noise,
                      float *source);
/* speech[T * samples_per_frame] from mel[in_channels][T] and a source of
 * T * samples_per_frame samples. */
cv_status hift_decode(const hift_model *m, const float *mel, int T, const float *source,
                      float *speech);
/* Whole vocoder: f0 -> source -> (first cache_len source samples replaced by
 * cache_source, to continue a stream without a glitch) -> decode.
 * speech and source (may be NULL) receive T * samples_per_frame samples;
 * cache_len must not exceed that. */
cv_status hift_infer(const hift_model *m, const float *mel, int T,
                     const float *cache_source, int cache_len, nn_noise *noise,
                     float *speech, float *source);

#endif
