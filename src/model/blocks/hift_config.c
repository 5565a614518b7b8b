/* hift_config from the `hift` section of cosyvoice.yaml. Every size the
 * vocoder uses comes from here; the only defaults are those the reference
 * constructor has for keys a yaml may omit (lrelu_slope, audio_limit,
 * in_channels, nsf_*). */
#include <stdio.h>

#include "model/blocks/hift.h"
#include "model/io/yaml_config.h"

/* Reads the int sequence at `path` into out[max]; returns its length or -1. */
static int int_list(const yaml_config *y, const char *path, int *out, int max)
{
    size_t n = yaml_config_len(y, path);
    if (n == 0 || n > (size_t)max) return -1;
    char p[160];
    for (size_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s.%zu", path, i);
        long v = yaml_config_int(y, p, -1);
        if (v < 0) return -1;
        out[i] = (int)v;
    }
    return (int)n;
}

cv_status hift_config_from_yaml(const yaml_config *y, hift_config *c)
{
    if (!yaml_config_has(y, "hift"))
        return cv_error(CV_INVALID_ARGUMENT, "cosyvoice.yaml: no hift section");
    *c = (hift_config){0};
    c->in_channels = (int)yaml_config_int(y, "hift.in_channels", 80);
    c->base_channels = (int)yaml_config_int(y, "hift.base_channels", -1);
    c->nb_harmonics = (int)yaml_config_int(y, "hift.nb_harmonics", -1);
    c->sampling_rate = (int)yaml_config_int(y, "hift.sampling_rate", -1);
    c->nsf_alpha = (float)yaml_config_float(y, "hift.nsf_alpha", 0.1);
    c->nsf_sigma = (float)yaml_config_float(y, "hift.nsf_sigma", 0.003);
    c->nsf_voiced_threshold = (float)yaml_config_float(y, "hift.nsf_voiced_threshold", 10);
    c->lrelu_slope = (float)yaml_config_float(y, "hift.lrelu_slope", 0.1);
    c->audio_limit = (float)yaml_config_float(y, "hift.audio_limit", 0.99);
    c->n_fft = (int)yaml_config_int(y, "hift.istft_params.n_fft", -1);
    c->hop = (int)yaml_config_int(y, "hift.istft_params.hop_len", -1);
    c->f0_cond_channels = (int)yaml_config_int(y, "hift.f0_predictor.cond_channels", -1);
    if (c->base_channels < 1 || c->nb_harmonics < 0 || c->sampling_rate < 1 ||
        c->n_fft < 2 || c->hop < 1 || c->f0_cond_channels < 1)
        return cv_error(CV_INVALID_ARGUMENT,
                        "cosyvoice.yaml: hift needs base_channels, nb_harmonics, "
                        "sampling_rate, istft_params and f0_predictor.cond_channels");

    int nk;
    c->n_stages = int_list(y, "hift.upsample_rates", c->upsample_rates, HIFT_MAX_STAGES);
    nk = int_list(y, "hift.upsample_kernel_sizes", c->upsample_kernels, HIFT_MAX_STAGES);
    if (c->n_stages < 1 || nk != c->n_stages)
        return cv_error(CV_INVALID_ARGUMENT,
                        "cosyvoice.yaml: bad hift.upsample_rates / upsample_kernel_sizes");
    c->n_kernels = int_list(y, "hift.resblock_kernel_sizes", c->resblock_kernels,
                            HIFT_MAX_KERNELS);
    if (c->n_kernels < 1 ||
        yaml_config_len(y, "hift.resblock_dilation_sizes") != (size_t)c->n_kernels)
        return cv_error(CV_INVALID_ARGUMENT, "cosyvoice.yaml: bad hift resblock sizes");
    char p[160];
    for (int i = 0; i < c->n_kernels; i++) {
        snprintf(p, sizeof p, "hift.resblock_dilation_sizes.%d", i);
        c->n_dilations[i] = int_list(y, p, c->resblock_dilations[i], HIFT_MAX_DILATIONS);
        if (c->n_dilations[i] < 1)
            return cv_error(CV_INVALID_ARGUMENT, "cosyvoice.yaml: bad %s", p);
    }
    /* the reference zips the source resblock lists with the stages */
    int ns = int_list(y, "hift.source_resblock_kernel_sizes", c->source_kernels,
                      HIFT_MAX_STAGES);
    if (ns != c->n_stages ||
        yaml_config_len(y, "hift.source_resblock_dilation_sizes") != (size_t)ns)
        return cv_error(CV_INVALID_ARGUMENT,
                        "cosyvoice.yaml: need one source resblock per upsampling stage");
    for (int i = 0; i < ns; i++) {
        snprintf(p, sizeof p, "hift.source_resblock_dilation_sizes.%d", i);
        c->n_source_dilations[i] = int_list(y, p, c->source_dilations[i], HIFT_MAX_DILATIONS);
        if (c->n_source_dilations[i] < 1)
            return cv_error(CV_INVALID_ARGUMENT, "cosyvoice.yaml: bad %s", p);
    }
    return cv_ok();
}
