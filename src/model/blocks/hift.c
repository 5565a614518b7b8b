/* HiFT loading: configuration checks and weight binding; see hift.h. The
 * forward passes are in hift_f0.c, hift_source.c and hift_decode.c. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/blocks/hift_internal.h"
#include "model/family.h"
#include "model/io/yaml_config.h"

cv_status hift_oom(void) { return cv_error(CV_RESOURCE_EXHAUSTED, "hift: out of memory"); }

/* The tensor called `name`, which must have exactly the given shape. */
const float *hift_weight(const pt_dict *d, const char *name, int ndim, const int *shape,
                         cv_status *st)
{
    if (!cv_is_ok(st)) return NULL;
    const pt_tensor *t = pt_find(d, name);
    if (!t) {
        *st = cv_error(CV_INVALID_ARGUMENT, "hift.pt: missing tensor %s", name);
        return NULL;
    }
    bool ok = t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++) ok = t->shape[i] == shape[i];
    if (!ok) {
        char want[96] = "", got[96] = "";
        for (int i = 0; i < ndim; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%d", i ? "," : "",
                     shape[i]);
        for (int i = 0; i < t->ndim; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? "," : "",
                     (long long)t->shape[i]);
        *st = cv_error(CV_INVALID_ARGUMENT, "hift.pt: %s has shape [%s], config wants [%s]",
                       name, got, want);
        return NULL;
    }
    return t->data;
}

void hift_load_conv(hift_conv *c, const pt_dict *d, const char *prefix, int cin, int cout,
                      int k, int stride, int dil, int pad_l, int pad_r, cv_status *st)
{
    char name[160];
    c->p = (nn_conv1d_params){.cin = cin, .cout = cout, .kernel = k, .stride = stride,
                              .dilation = dil, .pad_left = pad_l, .pad_right = pad_r,
                              .groups = 1};
    snprintf(name, sizeof name, "%s.weight", prefix);
    c->w = hift_weight(d, name, 3, (int[]){cout, cin, k}, st);
    snprintf(name, sizeof name, "%s.bias", prefix);
    c->b = hift_weight(d, name, 1, (int[]){cout}, st);
}

/* 'same' padding of a stride-1 conv, as get_padding() in the reference */
static int same_pad(int k, int dil) { return (k * dil - dil) / 2; }

static void load_resblock(hift_resblock *r, const pt_dict *d, const char *prefix, int ch,
                          int k, int n_dil, const int *dils, bool causal, cv_status *st)
{
    char name[160];
    r->channels = ch;
    r->n = n_dil;
    for (int i = 0; i < n_dil; i++) {
        /* causal: all of the padding on the left (CausalConv1d, 'left') */
        int p1 = same_pad(k, dils[i]), p2 = same_pad(k, 1);
        snprintf(name, sizeof name, "%s.convs1.%d", prefix, i);
        hift_load_conv(&r->c1[i], d, name, ch, ch, k, 1, dils[i], causal ? hift_causal_pad(k, dils[i]) : p1,
                  causal ? 0 : p1, st);
        snprintf(name, sizeof name, "%s.convs2.%d", prefix, i);
        hift_load_conv(&r->c2[i], d, name, ch, ch, k, 1, 1, causal ? hift_causal_pad(k, 1) : p2,
                  causal ? 0 : p2, st);
        snprintf(name, sizeof name, "%s.activations1.%d.alpha", prefix, i);
        r->a1[i] = hift_weight(d, name, 1, (int[]){ch}, st);
        snprintf(name, sizeof name, "%s.activations2.%d.alpha", prefix, i);
        r->a2[i] = hift_weight(d, name, 1, (int[]){ch}, st);
    }
}

int hift_causal_pad(int k, int dil) { return (k * dil - dil) / 2 * 2 + (k + 1) % 2; }

static cv_status check_config(const hift_config *c)
{
    if (c->n_stages < 1 || c->n_stages > HIFT_MAX_STAGES || c->n_kernels < 1 ||
        c->n_kernels > HIFT_MAX_KERNELS || c->in_channels < 1 || c->n_fft < 2 ||
        c->hop < 1 || c->f0_cond_channels < 1 || c->nb_harmonics < 0 ||
        c->conv_pre_look_right < 0)
        return cv_error(CV_INVALID_ARGUMENT, "hift: unsupported configuration sizes");
    if (c->base_channels >> c->n_stages < 1)
        return cv_error(CV_INVALID_ARGUMENT, "hift: base_channels too small for %d stages",
                        c->n_stages);
    for (int i = 0; i < c->n_stages; i++)
        if (c->upsample_rates[i] < 1 || c->upsample_kernels[i] < c->upsample_rates[i])
            return cv_error(CV_INVALID_ARGUMENT, "hift: bad upsample stage %d", i);
    return cv_ok();
}

/* conv_pre, the upsampling stages, the source fusion, the resblocks and
 * conv_post, in their causal or centred form. */
static void load_decoder(hift_model *m, const pt_dict *d, cv_status *st)
{
    const hift_config *c = &m->cfg;
    char name[160];
    if (c->causal) /* CausalConv1d 'right': kernel look+1, context on the right */
        hift_load_conv(&m->conv_pre, d, "conv_pre", c->in_channels, c->base_channels,
                  c->conv_pre_look_right + 1, 1, 1, 0, c->conv_pre_look_right, st);
    else
        hift_load_conv(&m->conv_pre, d, "conv_pre", c->in_channels, c->base_channels, 7, 1, 1, 3, 3,
                  st);

    /* Source downsampling factors: cumulative products of the reversed
     * upsample rates, so every stage sees the source at its own rate. */
    int down[HIFT_MAX_STAGES], acc = 1;
    for (int i = c->n_stages - 1; i >= 0; i--) {
        down[i] = acc;
        acc *= c->upsample_rates[i];
    }
    const int src_ch = c->n_fft + 2; /* real and imaginary STFT bins */
    for (int i = 0; i < c->n_stages; i++) {
        int cin = c->base_channels >> i, cout = c->base_channels >> (i + 1);
        int u = c->upsample_rates[i], k = c->upsample_kernels[i];
        hift_up *up = &m->ups[i];
        up->rate = u;
        snprintf(name, sizeof name, "ups.%d", i);
        if (c->causal) { /* CausalConv1dUpsample: repeat u times, causal conv */
            hift_load_conv(&up->conv, d, name, cin, cout, k, 1, 1, k - 1, 0, st);
        } else {
            up->tp = (nn_conv_transpose1d_params){.cin = cin, .cout = cout, .kernel = k,
                                                  .stride = u, .dilation = 1,
                                                  .padding = (k - u) / 2};
            snprintf(name, sizeof name, "ups.%d.weight", i);
            up->w = hift_weight(d, name, 3, (int[]){cin, cout, k}, st);
            snprintf(name, sizeof name, "ups.%d.bias", i);
            up->b = hift_weight(d, name, 1, (int[]){cout}, st);
        }

        snprintf(name, sizeof name, "source_downs.%d", i);
        if (down[i] == 1)
            hift_load_conv(&m->source_downs[i], d, name, src_ch, cout, 1, 1, 1, 0, 0, st);
        else if (c->causal) /* CausalConv1dDownSample */
            hift_load_conv(&m->source_downs[i], d, name, src_ch, cout, 2 * down[i], down[i], 1,
                      down[i] - 1, 0, st);
        else
            hift_load_conv(&m->source_downs[i], d, name, src_ch, cout, 2 * down[i], down[i], 1,
                      down[i] / 2, down[i] / 2, st);
        snprintf(name, sizeof name, "source_resblocks.%d", i);
        load_resblock(&m->source_rb[i], d, name, cout, c->source_kernels[i],
                      c->n_source_dilations[i], c->source_dilations[i], c->causal, st);
        for (int j = 0; j < c->n_kernels; j++) {
            snprintf(name, sizeof name, "resblocks.%d", i * c->n_kernels + j);
            load_resblock(&m->rb[i * c->n_kernels + j], d, name, cout, c->resblock_kernels[j],
                          c->n_dilations[j], c->resblock_dilations[j], c->causal, st);
        }
    }
    int post_in = c->base_channels >> c->n_stages;
    if (c->causal)
        hift_load_conv(&m->conv_post, d, "conv_post", post_in, src_ch, 7, 1, 1, 6, 0, st);
    else
        hift_load_conv(&m->conv_post, d, "conv_post", post_in, src_ch, 7, 1, 1, 3, 3, st);
}

static hift_model *build(const hift_config *cfg, pt_dict *weights, cv_status *st)
{
    *st = check_config(cfg);
    if (!cv_is_ok(st)) return NULL;
    hift_model *m = calloc(1, sizeof *m);
    if (!m) {
        *st = hift_oom();
        return NULL;
    }
    const hift_config *c = &m->cfg;
    m->cfg = *cfg;
    m->spf = c->hop;
    for (int i = 0; i < c->n_stages; i++) m->spf *= c->upsample_rates[i];

    /* the float64 f0 predictor folds its own weight norm in double
     * precision, so it binds before the rest is folded */
    if (c->f0_double) *st = hift_f0_load(m, weights);
    if (cv_is_ok(st)) *st = pt_fold_weight_norm(weights);
    if (cv_is_ok(st) && !c->f0_double) *st = hift_f0_load(m, weights);

    const int nh = c->nb_harmonics + 1;
    m->src_w = hift_weight(weights, "m_source.l_linear.weight", 2, (int[]){1, nh}, st);
    m->src_b = hift_weight(weights, "m_source.l_linear.bias", 1, (int[]){1}, st);
    load_decoder(m, weights, st);
    if (cv_is_ok(st)) {
        m->stft = nn_stft_new(c->n_fft, c->hop, NULL, true);
        if (!m->stft) *st = cv_error(CV_INTERNAL, "hift: cannot set up the STFT");
    }
    if (!cv_is_ok(st)) {
        hift_free(m);
        return NULL;
    }
    return m;
}

hift_model *hift_load(const hift_config *cfg, pt_dict *weights, cv_status *st)
{
    hift_model *m = build(cfg, weights, st);
    /* under bf16 precision the products with the weights run in bf16 */
    if (m && !pt_weights_register(weights)) {
        *st = cv_error(CV_RESOURCE_EXHAUSTED, "hift: out of memory for bf16 weights");
        hift_free(m);
        return NULL;
    }
    if (m) m->registered = weights;
    return m;
}

hift_model *hift_load_owned(const hift_config *cfg, pt_dict *weights, cv_status *st)
{
    hift_model *m = hift_load(cfg, weights, st);
    if (!m) {
        pt_free(weights);
        free(weights);
        return NULL;
    }
    m->owned = weights;
    return m;
}

hift_model *hift_open(const char *model_dir, cv_status *st)
{
    char path[4096];
    yaml_config *y = NULL;
    cv_family family;
    *st = cv_family_detect(model_dir, &family, path, sizeof path);
    if (cv_is_ok(st)) *st = yaml_config_load(path, &y);
    hift_config cfg;
    if (cv_is_ok(st)) *st = hift_config_from_yaml(y, &cfg);
    yaml_config_free(y);
    if (!cv_is_ok(st)) return NULL;
    pt_dict *w = calloc(1, sizeof *w);
    if (!w) {
        *st = hift_oom();
        return NULL;
    }
    snprintf(path, sizeof path, "%s/hift.pt", model_dir);
    *st = pt_load(path, w);
    if (!cv_is_ok(st)) {
        pt_free(w);
        free(w);
        return NULL;
    }
    return hift_load_owned(&cfg, w, st);
}

void hift_free(hift_model *m)
{
    if (!m) return;
    hift_f0_free(m);
    if (m->registered) pt_weights_unregister(m->registered);
    nn_stft_free(m->stft);
    if (m->owned) {
        pt_free(m->owned);
        free(m->owned);
    }
    free(m);
}

const hift_config *hift_get_config(const hift_model *m) { return &m->cfg; }
int hift_samples_per_frame(const hift_model *m) { return m->spf; }

int hift_f0_frames(const hift_model *m, int T, bool finalize)
{
    return m->cfg.causal && !finalize ? T - m->f0_look_right : T;
}

int hift_decode_samples(const hift_model *m, int T, bool finalize)
{
    /* not finalizing, a causal decoder keeps conv_pre's right context and
     * one more frame of samples back */
    if (m->cfg.causal && !finalize) T -= m->cfg.conv_pre_look_right + 1;
    return T * m->spf;
}

int hift_infer_samples(const hift_model *m, int T, bool finalize)
{
    return hift_decode_samples(m, hift_f0_frames(m, T, finalize), finalize);
}
