/* Internals of the HiFT vocoder shared by its source files (loading, f0
 * predictor, sine source, decoder). Not a public API. */
#ifndef CV_MODEL_HIFT_INTERNAL_H
#define CV_MODEL_HIFT_INTERNAL_H

#include "model/blocks/hift.h"
#include "nn/nn.h"

#define HIFT_MAX_F0_CONVS 16
#define HIFT_MAX_HARMONICS 64

typedef struct hift_conv {
    nn_conv1d_params p;
    const float *w, *b;
} hift_conv;

/* An upsampling stage: ConvTranspose1d (HiFTGenerator) or nearest
 * repetition followed by a causal convolution (CausalHiFTGenerator's
 * CausalConv1dUpsample). */
typedef struct hift_up {
    nn_conv_transpose1d_params tp; /* non-causal */
    hift_conv conv;                /* causal: conv after the repetition */
    int rate;
    const float *w, *b;            /* non-causal weights */
} hift_up;

/* HiFi-GAN residual block: per dilation, Snake -> dilated conv -> Snake ->
 * conv, added back onto the input. */
typedef struct hift_resblock {
    int channels, n;
    hift_conv c1[HIFT_MAX_DILATIONS], c2[HIFT_MAX_DILATIONS];
    const float *a1[HIFT_MAX_DILATIONS], *a2[HIFT_MAX_DILATIONS];
} hift_resblock;

/* One convolution of the f0 predictor in float64 (see nn/conv_f64.h). */
typedef struct hift_conv64 {
    nn_conv1d_params p;
    double *w, *b; /* owned */
} hift_conv64;

struct hift_model {
    hift_config cfg;
    int spf; /* samples per mel frame */
    int n_f0_convs;
    hift_conv f0_convs[HIFT_MAX_F0_CONVS];
    hift_conv64 f0_convs64[HIFT_MAX_F0_CONVS]; /* cfg.f0_double */
    double *f0_cls_w64, f0_cls_b64;
    const float *f0_cls_w, *f0_cls_b;
    int f0_look_right; /* right context frames of the first f0 conv (causal) */
    const float *src_w, *src_b; /* l_linear: nb_harmonics+1 -> 1 */
    hift_conv conv_pre, conv_post;
    hift_up ups[HIFT_MAX_STAGES];
    hift_conv source_downs[HIFT_MAX_STAGES];
    hift_resblock source_rb[HIFT_MAX_STAGES];
    hift_resblock rb[HIFT_MAX_STAGES * HIFT_MAX_KERNELS];
    nn_stft *stft;
    pt_dict *owned; /* weights handed over by hift_load_owned */
    const pt_dict *registered; /* weights registered for bf16 (pt_weights_register) */
};

cv_status hift_oom(void);
/* CausalConv1d's padding for kernel k and dilation dil (all on one side). */
int hift_causal_pad(int k, int dil);
/* hift.c's shape-checked lookup (NULL and *st set when missing or
 * mis-shaped; nothing when *st is already an error). */
const float *hift_weight(const pt_dict *d, const char *name, int ndim, const int *shape,
                         cv_status *st);

/* Binds "<prefix>.weight" [cout][cin][k] and "<prefix>.bias" with these
 * convolution parameters. */
void hift_load_conv(hift_conv *c, const pt_dict *d, const char *prefix, int cin, int cout,
                    int k, int stride, int dil, int pad_l, int pad_r, cv_status *st);

/* Binds the f0 predictor's weights: float32 from folded weights, or
 * float64 (cfg.f0_double) from the raw weight-norm pairs, folded in double
 * precision, so then before pt_fold_weight_norm. */
cv_status hift_f0_load(hift_model *m, pt_dict *weights);
void hift_f0_free(hift_model *m);

#endif
