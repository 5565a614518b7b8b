#include "model/blocks/hift.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/io/yaml_config.h"
#include "nn/nn.h"

#define MAX_F0_CONVS 16

typedef struct conv_layer {
    nn_conv1d_params p;
    const float *w, *b;
} conv_layer;

typedef struct convt_layer {
    nn_conv_transpose1d_params p;
    const float *w, *b;
} convt_layer;

/* HiFi-GAN residual block: per dilation, Snake -> dilated conv -> Snake ->
 * conv, added back onto the input. */
typedef struct resblock {
    int channels, n;
    conv_layer c1[HIFT_MAX_DILATIONS], c2[HIFT_MAX_DILATIONS];
    const float *a1[HIFT_MAX_DILATIONS], *a2[HIFT_MAX_DILATIONS];
} resblock;

struct hift_model {
    hift_config cfg;
    int spf; /* samples per mel frame */
    int n_f0_convs;
    conv_layer f0_convs[MAX_F0_CONVS];
    const float *f0_cls_w, *f0_cls_b;
    const float *src_w, *src_b; /* l_linear: nb_harmonics+1 -> 1 */
    conv_layer conv_pre, conv_post;
    convt_layer ups[HIFT_MAX_STAGES];
    conv_layer source_downs[HIFT_MAX_STAGES];
    resblock source_rb[HIFT_MAX_STAGES];
    resblock rb[HIFT_MAX_STAGES * HIFT_MAX_KERNELS];
    nn_stft *stft;
    pt_dict *owned; /* weights handed over by hift_load_owned */
    const pt_dict *registered; /* weights registered for bf16 (pt_weights_register) */
};


/* ---- loading -------------------------------------------------------------- */

/* Where load_* get tensors. */
typedef struct weight_src {
    const pt_dict *dict;
} weight_src;

/* The tensor called `name`, which must have exactly the given shape. */
static const float *weight(weight_src *ws, const char *name, int ndim, const int *shape,
                           cv_status *st)
{
    if (!cv_is_ok(st)) return NULL;
    const pt_tensor *t = pt_find(ws->dict, name);
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

static void load_conv(conv_layer *c, weight_src *d, const char *prefix, int cin,
                      int cout, int k, int stride, int dil, int pad_l, int pad_r,
                      cv_status *st)
{
    char name[160];
    c->p = (nn_conv1d_params){.cin = cin, .cout = cout, .kernel = k, .stride = stride,
                              .dilation = dil, .pad_left = pad_l, .pad_right = pad_r,
                              .groups = 1};
    snprintf(name, sizeof name, "%s.weight", prefix);
    c->w = weight(d, name, 3, (int[]){cout, cin, k}, st);
    snprintf(name, sizeof name, "%s.bias", prefix);
    c->b = weight(d, name, 1, (int[]){cout}, st);
}

/* 'same' padding of a stride-1 conv, as get_padding() in the reference */
static int same_pad(int k, int dil) { return (k * dil - dil) / 2; }

static void load_resblock(resblock *r, weight_src *d, const char *prefix, int ch, int k,
                          int n_dil, const int *dils, cv_status *st)
{
    char name[160];
    r->channels = ch;
    r->n = n_dil;
    for (int i = 0; i < n_dil; i++) {
        snprintf(name, sizeof name, "%s.convs1.%d", prefix, i);
        load_conv(&r->c1[i], d, name, ch, ch, k, 1, dils[i], same_pad(k, dils[i]),
                  same_pad(k, dils[i]), st);
        snprintf(name, sizeof name, "%s.convs2.%d", prefix, i);
        load_conv(&r->c2[i], d, name, ch, ch, k, 1, 1, same_pad(k, 1), same_pad(k, 1), st);
        snprintf(name, sizeof name, "%s.activations1.%d.alpha", prefix, i);
        r->a1[i] = weight(d, name, 1, (int[]){ch}, st);
        snprintf(name, sizeof name, "%s.activations2.%d.alpha", prefix, i);
        r->a2[i] = weight(d, name, 1, (int[]){ch}, st);
    }
}

static cv_status check_config(const hift_config *c)
{
    if (c->n_stages < 1 || c->n_stages > HIFT_MAX_STAGES || c->n_kernels < 1 ||
        c->n_kernels > HIFT_MAX_KERNELS || c->in_channels < 1 || c->n_fft < 2 ||
        c->hop < 1 || c->f0_cond_channels < 1 || c->nb_harmonics < 0)
        return cv_error(CV_INVALID_ARGUMENT, "hift: unsupported configuration sizes");
    if (c->base_channels >> c->n_stages < 1)
        return cv_error(CV_INVALID_ARGUMENT, "hift: base_channels too small for %d stages",
                        c->n_stages);
    for (int i = 0; i < c->n_stages; i++)
        if (c->upsample_rates[i] < 1 || c->upsample_kernels[i] < c->upsample_rates[i])
            return cv_error(CV_INVALID_ARGUMENT, "hift: bad upsample stage %d", i);
    /* SineGen2 (used by the reference for other rates) is not implemented */
    if (c->sampling_rate != 22050)
        return cv_error(CV_UNIMPLEMENTED,
                        "hift: only the 22050 Hz sine source (SineGen) is implemented, "
                        "config has %d Hz",
                        c->sampling_rate);
    return cv_ok();
}


static hift_model *build(const hift_config *cfg, weight_src *weights, cv_status *st)
{
    *st = check_config(cfg);
    if (!cv_is_ok(st)) return NULL;
    hift_model *m = calloc(1, sizeof *m);
    if (!m) {
        *st = cv_error(CV_RESOURCE_EXHAUSTED, "hift: out of memory");
        return NULL;
    }
    const hift_config *c = &m->cfg;
    m->cfg = *cfg;
    m->spf = c->hop;
    for (int i = 0; i < c->n_stages; i++) m->spf *= c->upsample_rates[i];
    char name[160];

    /* f0 predictor: Conv1d(k3,p1)+ELU pairs at condnet.0, .2, .4 ... */
    const int fc = c->f0_cond_channels;
    for (int i = 0; i < MAX_F0_CONVS; i++) {
        snprintf(name, sizeof name, "f0_predictor.condnet.%d.weight", 2 * i);
        if (!pt_find(weights->dict, name)) break;
        snprintf(name, sizeof name, "f0_predictor.condnet.%d", 2 * i);
        load_conv(&m->f0_convs[i], weights, name, i ? fc : c->in_channels, fc, 3, 1, 1, 1, 1,
                  st);
        m->n_f0_convs = i + 1;
    }
    if (m->n_f0_convs == 0 && cv_is_ok(st))
        *st = cv_error(CV_INVALID_ARGUMENT, "hift.pt: no f0_predictor.condnet convolutions");
    m->f0_cls_w = weight(weights, "f0_predictor.classifier.weight", 2, (int[]){1, fc}, st);
    m->f0_cls_b = weight(weights, "f0_predictor.classifier.bias", 1, (int[]){1}, st);

    const int nh = c->nb_harmonics + 1;
    m->src_w = weight(weights, "m_source.l_linear.weight", 2, (int[]){1, nh}, st);
    m->src_b = weight(weights, "m_source.l_linear.bias", 1, (int[]){1}, st);

    load_conv(&m->conv_pre, weights, "conv_pre", c->in_channels, c->base_channels, 7, 1, 1,
              3, 3, st);

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
        convt_layer *up = &m->ups[i];
        up->p = (nn_conv_transpose1d_params){.cin = cin, .cout = cout, .kernel = k,
                                             .stride = u, .dilation = 1,
                                             .padding = (k - u) / 2};
        snprintf(name, sizeof name, "ups.%d.weight", i);
        up->w = weight(weights, name, 3, (int[]){cin, cout, k}, st);
        snprintf(name, sizeof name, "ups.%d.bias", i);
        up->b = weight(weights, name, 1, (int[]){cout}, st);

        snprintf(name, sizeof name, "source_downs.%d", i);
        if (down[i] == 1)
            load_conv(&m->source_downs[i], weights, name, src_ch, cout, 1, 1, 1, 0, 0, st);
        else
            load_conv(&m->source_downs[i], weights, name, src_ch, cout, 2 * down[i], down[i],
                      1, down[i] / 2, down[i] / 2, st);
        snprintf(name, sizeof name, "source_resblocks.%d", i);
        load_resblock(&m->source_rb[i], weights, name, cout, c->source_kernels[i],
                      c->n_source_dilations[i], c->source_dilations[i], st);
        for (int j = 0; j < c->n_kernels; j++) {
            snprintf(name, sizeof name, "resblocks.%d", i * c->n_kernels + j);
            load_resblock(&m->rb[i * c->n_kernels + j], weights, name, cout,
                          c->resblock_kernels[j], c->n_dilations[j], c->resblock_dilations[j],
                          st);
        }
    }
    load_conv(&m->conv_post, weights, "conv_post", c->base_channels >> c->n_stages, src_ch,
              7, 1, 1, 3, 3, st);
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
    *st = pt_fold_weight_norm(weights);
    if (!cv_is_ok(st)) return NULL;
    weight_src ws = {.dict = weights};
    hift_model *m = build(cfg, &ws, st);
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
    snprintf(path, sizeof path, "%s/cosyvoice.yaml", model_dir);
    *st = yaml_config_load(path, &y);
    hift_config cfg;
    if (cv_is_ok(st)) *st = hift_config_from_yaml(y, &cfg);
    yaml_config_free(y);
    if (!cv_is_ok(st)) return NULL;
    pt_dict *w = calloc(1, sizeof *w);
    if (!w) {
        *st = cv_error(CV_RESOURCE_EXHAUSTED, "hift: out of memory");
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

/* ---- forward -------------------------------------------------------------- */

static cv_status oom(void) { return cv_error(CV_RESOURCE_EXHAUSTED, "hift: out of memory"); }

static bool conv(const conv_layer *c, const float *x, int T, float *y)
{
    return nn_conv1d(&c->p, x, T, c->w, c->b, y);
}

cv_status hift_f0(const hift_model *m, const float *mel, int T, float *f0)
{
    if (T <= 0) return cv_error(CV_INVALID_ARGUMENT, "hift: empty mel");
    const int C = m->cfg.f0_cond_channels;
    float *a = malloc(sizeof(float) * C * T), *b = malloc(sizeof(float) * C * T);
    bool ok = a && b;
    const float *in = mel;
    for (int i = 0; ok && i < m->n_f0_convs; i++) {
        ok = conv(&m->f0_convs[i], in, T, a);
        nn_elu(a, a, (size_t)C * T, 1.0f);
        in = a;
        float *t = a; /* ping-pong */
        a = b;
        b = t;
    }
    if (ok) { /* classifier over channels, then |.| */
        for (int t = 0; t < T; t++) f0[t] = m->f0_cls_b[0];
        nn_gemm(false, false, 1, T, C, 1.0f, m->f0_cls_w, C, in, T, 1.0f, f0, T);
        nn_abs(f0, (size_t)T);
    }
    free(a);
    free(b);
    return ok ? cv_ok() : oom();
}

cv_status hift_source(const hift_model *m, const float *f0, int T, nn_noise *noise,
                      float *source)
{
    const hift_config *c = &m->cfg;
    const int L = T * m->spf, H = c->nb_harmonics + 1;
    float *sw = malloc(sizeof(float) * H * L), *nz = malloc(sizeof(float) * H * L);
    float *phase0 = malloc(sizeof(float) * H);
    if (!sw || !nz || !phase0) {
        free(sw), free(nz), free(phase0);
        return oom();
    }
    /* SineGen: harmonic i has frequency f0*(i+1); its phase is the running
     * sum of f0*(i+1)/sr over the f0 upsampled by repetition. The reference
     * accumulates in double and rounds each partial sum to float (PyTorch's
     * CPU cumsum), then wraps to [0,1). Harmonics above the fundamental get
     * a random initial phase in [-pi, pi). */
    nn_noise_uniform(noise, phase0, (size_t)H, (float)-M_PI, (float)M_PI);
    phase0[0] = 0.0f;
    nn_noise_normal(noise, nz, (size_t)H * L, NN_NOISE_SALT_SOURCE);
    const float two_pi = (float)(2.0 * M_PI), amp = c->nsf_alpha;
    const float unvoiced_amp = (float)(c->nsf_alpha / 3.0), voiced_amp = c->nsf_sigma;
    for (int h = 0; h < H; h++) {
        double cum = 0.0;
        float *row = sw + (size_t)h * L;
        const float *nr = nz + (size_t)h * L;
        for (int t = 0; t < L; t++) {
            float f = f0[t / m->spf];
            cum += (double)(f * (float)(h + 1) / (float)c->sampling_rate);
            float theta = two_pi * fmodf((float)cum, 1.0f);
            float s = amp * sinf(theta + phase0[h]);
            bool voiced = f > c->nsf_voiced_threshold;
            float uv = voiced ? 1.0f : 0.0f;
            float namp = uv * voiced_amp + (1.0f - uv) * unvoiced_amp;
            row[t] = s * uv + namp * nr[t];
        }
    }
    /* merge the harmonics: tanh(Linear(H -> 1)) */
    for (int t = 0; t < L; t++) source[t] = m->src_b[0];
    nn_gemm(false, false, 1, L, H, 1.0f, m->src_w, H, sw, L, 1.0f, source, L);
    nn_tanh(source, source, (size_t)L);
    free(sw), free(nz), free(phase0);
    return cv_ok();
}

/* x <- resblock(x) on [C][T]; t1, t2 are [C][T] scratch. */
static bool resblock_forward(const resblock *r, float *x, int T, float *t1, float *t2)
{
    const int C = r->channels;
    const size_t n = (size_t)C * T;
    for (int i = 0; i < r->n; i++) {
        nn_snake(x, t1, C, T, r->a1[i]);
        if (!conv(&r->c1[i], t1, T, t2)) return false;
        nn_snake(t2, t2, C, T, r->a2[i]);
        if (!conv(&r->c2[i], t2, T, t1)) return false;
        nn_add(x, t1, n);
    }
    return true;
}

/* Largest channels x frames product over the decoder's stages. */
static size_t max_activation(const hift_model *m, int T)
{
    const hift_config *c = &m->cfg;
    size_t best = (size_t)c->base_channels * T, len = (size_t)T;
    for (int i = 0; i < c->n_stages; i++) {
        len *= (size_t)c->upsample_rates[i];
        size_t ch = (size_t)(c->base_channels >> (i + 1));
        size_t n = ch * (len + 1); /* +1: reflection pad of the last stage */
        if (n > best) best = n;
    }
    size_t post = (size_t)(c->n_fft + 2) * (len + 1);
    return post > best ? post : best;
}

cv_status hift_decode(const hift_model *m, const float *mel, int T, const float *source,
                      float *speech)
{
    const hift_config *c = &m->cfg;
    if (T <= 0) return cv_error(CV_INVALID_ARGUMENT, "hift: empty mel");
    const int L = T * m->spf, bins = c->n_fft / 2 + 1;
    const int frames = nn_stft_frames(m->stft, L);
    const size_t cap = max_activation(m, T);
    float *s_stft = malloc(sizeof(float) * 2 * bins * frames);
    float *x = malloc(sizeof(float) * cap), *y = malloc(sizeof(float) * cap);
    float *xs = malloc(sizeof(float) * cap), *si = malloc(sizeof(float) * cap);
    float *t1 = malloc(sizeof(float) * cap), *t2 = malloc(sizeof(float) * cap);
    bool ok = s_stft && x && y && xs && si && t1 && t2;

    /* source -> [re; im] spectrogram, one column per hop */
    ok = ok && nn_stft_forward(m->stft, source, L, s_stft, s_stft + (size_t)bins * frames);
    ok = ok && conv(&m->conv_pre, mel, T, x);
    int len = T, ch = c->base_channels;
    for (int i = 0; ok && i < c->n_stages; i++) {
        nn_leaky_relu(x, x, (size_t)ch * len, c->lrelu_slope);
        ok = nn_conv_transpose1d(&m->ups[i].p, x, len, m->ups[i].w, m->ups[i].b, y);
        len = nn_conv_transpose1d_out_len(&m->ups[i].p, len);
        ch = m->ups[i].p.cout;
        if (i == c->n_stages - 1) { /* ReflectionPad1d((1, 0)) */
            ok = ok && nn_pad_reflect(y, ch, len, 1, 0, x);
            len += 1;
        } else {
            float *t = x;
            x = y;
            y = t;
        }
        /* fuse the source at this stage's rate */
        const conv_layer *sd = &m->source_downs[i];
        if (ok && nn_conv1d_out_len(&sd->p, frames) != len) {
            free(s_stft), free(x), free(y), free(xs), free(si), free(t1), free(t2);
            return cv_error(CV_INTERNAL, "hift: source length mismatch at stage %d", i);
        }
        ok = ok && conv(sd, s_stft, frames, si);
        ok = ok && resblock_forward(&m->source_rb[i], si, len, t1, t2);
        const size_t n = (size_t)ch * len;
        if (ok) nn_add(x, si, n);
        /* average of the multi-receptive-field resblocks */
        for (int j = 0; ok && j < c->n_kernels; j++) {
            float *dst = j == 0 ? xs : y;
            memcpy(dst, x, n * sizeof(float));
            ok = resblock_forward(&m->rb[i * c->n_kernels + j], dst, len, t1, t2);
            if (j > 0) nn_add(xs, y, n);
        }
        if (ok) {
            nn_scale(xs, 1.0f / (float)c->n_kernels, n);
            float *t = x;
            x = xs;
            xs = t;
        }
    }
    if (ok) { /* default negative slope of F.leaky_relu, not lrelu_slope */
        nn_leaky_relu(x, x, (size_t)ch * len, 0.01f);
        ok = conv(&m->conv_post, x, len, y) && len == frames;
    }
    if (ok) { /* magnitude = exp (clipped at 1e2), phase = sin -> iSTFT */
        float *mag = y, *ph = y + (size_t)bins * frames;
        float *re = t1, *im = t2;
        for (size_t k = 0; k < (size_t)bins * frames; k++) {
            float mg = expf(mag[k]);
            if (mg > 1e2f) mg = 1e2f;
            float p = sinf(ph[k]);
            re[k] = mg * cosf(p);
            im[k] = mg * sinf(p);
        }
        ok = nn_stft_inverse(m->stft, re, im, frames, speech) &&
             nn_istft_length(m->stft, frames) == L;
        nn_clamp(speech, -c->audio_limit, c->audio_limit, (size_t)L);
    }
    free(s_stft), free(x), free(y), free(xs), free(si), free(t1), free(t2);
    return ok ? cv_ok() : cv_error(CV_INTERNAL, "hift: decode failed (memory or sizes)");
}

cv_status hift_infer(const hift_model *m, const float *mel, int T,
                     const float *cache_source, int cache_len, nn_noise *noise,
                     float *speech, float *source)
{
    const int L = T * m->spf;
    if (cache_len < 0 || cache_len > L)
        return cv_error(CV_INVALID_ARGUMENT, "hift: cache of %d samples for %d", cache_len, L);
    float *f0 = malloc(sizeof(float) * (T > 0 ? T : 1));
    float *src = source ? source : malloc(sizeof(float) * (L > 0 ? L : 1));
    if (!f0 || !src) {
        free(f0);
        if (src != source) free(src);
        return oom();
    }
    cv_status st = hift_f0(m, mel, T, f0);
    if (cv_is_ok(&st)) st = hift_source(m, f0, T, noise, src);
    if (cv_is_ok(&st)) {
        if (cache_len > 0) memcpy(src, cache_source, sizeof(float) * cache_len);
        st = hift_decode(m, mel, T, src, speech);
    }
    free(f0);
    if (src != source) free(src);
    return st;
}
