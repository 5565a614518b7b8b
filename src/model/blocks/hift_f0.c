/* The f0 predictor (ConvRNNF0Predictor / CausalConvRNNF0Predictor): a stack
 * of Conv1d + ELU and a linear classifier, |.| of its output in Hz.
 *
 * CosyVoice3 runs it in float64 (CausalHiFTGenerator.inference casts the
 * module and the mel to float64 and the f0 back to float32): its output is
 * integrated into the sine source's phase over the whole utterance, so the
 * last bits of f0 move the audio. We do the same, weights included: the
 * weight-norm pairs are folded in double precision as the float64 module
 * does on every call. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/blocks/hift_internal.h"
#include "nn/conv_f64.h"

/* The name of condnet conv i's weight as the file has it (plain, or the
 * v half of a weight-norm pair, which has the weight's shape); NULL when
 * there is no such conv. */
static const char *conv_weight_name(const pt_dict *d, int i, char *buf, size_t cap)
{
    static const char *const tails[] = {".weight", ".weight_v",
                                        ".parametrizations.weight.original1"};
    for (size_t f = 0; f < sizeof tails / sizeof tails[0]; f++) {
        snprintf(buf, cap, "f0_predictor.condnet.%d%s", 2 * i, tails[f]);
        if (pt_find(d, buf)) return buf;
    }
    return NULL;
}

/* Conv i's padding: centred (ConvRNNF0Predictor's padding=1 for kernel 3),
 * or causal: the first conv looks right ('right'), the others left. */
static void conv_padding(const hift_config *c, int i, int k, int *left, int *right)
{
    if (!c->f0_causal) {
        *left = *right = (k - 1) / 2;
    } else if (i == 0) {
        *left = 0;
        *right = hift_causal_pad(k, 1);
    } else {
        *left = hift_causal_pad(k, 1);
        *right = 0;
    }
}

cv_status hift_f0_load(hift_model *m, pt_dict *weights)
{
    const hift_config *c = &m->cfg;
    const int C = c->f0_cond_channels;
    cv_status st = cv_ok();
    char name[160], wname[200];
    for (int i = 0; i < HIFT_MAX_F0_CONVS; i++) {
        if (!conv_weight_name(weights, i, wname, sizeof wname)) break;
        /* the predictor classes fix the kernels: 3, or 4 (looking right)
         * then 3 for the causal one */
        int cin = i ? C : c->in_channels, k = c->f0_causal && i == 0 ? 4 : 3, left, right;
        if (!hift_weight(weights, wname, 3, (int[]){C, cin, k}, &st)) return st;
        conv_padding(c, i, k, &left, &right);
        if (i == 0) m->f0_look_right = c->f0_causal ? right : 0;
        nn_conv1d_params p = {.cin = cin, .cout = C, .kernel = k, .stride = 1, .dilation = 1,
                              .pad_left = left, .pad_right = right, .groups = 1};
        snprintf(name, sizeof name, "f0_predictor.condnet.%d", 2 * i);
        if (c->f0_double) {
            hift_conv64 *cv = &m->f0_convs64[i];
            int64_t n, shape[PT_MAX_DIMS];
            int nd;
            cv->p = p;
            st = pt_weight_f64(weights, name, &cv->w, &n, shape, &nd);
            snprintf(name, sizeof name, "f0_predictor.condnet.%d.bias", 2 * i);
            const float *b = hift_weight(weights, name, 1, (int[]){C}, &st);
            if (cv_is_ok(&st) && !(cv->b = malloc((size_t)C * sizeof *cv->b))) st = hift_oom();
            for (int j = 0; cv_is_ok(&st) && j < C; j++) cv->b[j] = b[j];
        } else {
            hift_load_conv(&m->f0_convs[i], weights, name, cin, C, k, 1, 1, left, right, &st);
        }
        if (!cv_is_ok(&st)) return st;
        m->n_f0_convs = i + 1;
    }
    if (m->n_f0_convs == 0)
        return cv_error(CV_INVALID_ARGUMENT, "hift.pt: no f0_predictor.condnet convolutions");
    m->f0_cls_w = hift_weight(weights, "f0_predictor.classifier.weight", 2, (int[]){1, C}, &st);
    m->f0_cls_b = hift_weight(weights, "f0_predictor.classifier.bias", 1, (int[]){1}, &st);
    if (cv_is_ok(&st) && c->f0_double) {
        if (!(m->f0_cls_w64 = malloc((size_t)C * sizeof *m->f0_cls_w64))) return hift_oom();
        for (int j = 0; j < C; j++) m->f0_cls_w64[j] = m->f0_cls_w[j];
        m->f0_cls_b64 = m->f0_cls_b[0];
    }
    return st;
}

void hift_f0_free(hift_model *m)
{
    for (int i = 0; i < HIFT_MAX_F0_CONVS; i++) {
        free(m->f0_convs64[i].w);
        free(m->f0_convs64[i].b);
    }
    free(m->f0_cls_w64);
}

/* The first conv of a causal predictor that is not finalizing reads its
 * right context from the input instead of zero padding. */
static nn_conv1d_params first_params(const hift_model *m, nn_conv1d_params p, bool finalize)
{
    if (m->cfg.f0_causal && !finalize) p.pad_right = 0;
    return p;
}

static cv_status f0_float(const hift_model *m, const float *mel, int T, int F, bool finalize,
                          float *f0)
{
    const int C = m->cfg.f0_cond_channels;
    float *a = malloc(sizeof(float) * C * T), *b = malloc(sizeof(float) * C * T);
    bool ok = a && b;
    const float *in = mel;
    int len = T;
    for (int i = 0; ok && i < m->n_f0_convs; i++) {
        const hift_conv *cv = &m->f0_convs[i];
        nn_conv1d_params p = i == 0 ? first_params(m, cv->p, finalize) : cv->p;
        ok = nn_conv1d(&p, in, len, cv->w, cv->b, a);
        len = nn_conv1d_out_len(&p, len);
        nn_elu(a, a, (size_t)C * len, 1.0f);
        in = a;
        float *t = a; /* ping-pong */
        a = b;
        b = t;
    }
    if (ok && len == F) { /* classifier over channels, then |.| */
        for (int t = 0; t < F; t++) f0[t] = m->f0_cls_b[0];
        nn_gemm(false, false, 1, F, C, 1.0f, m->f0_cls_w, C, in, F, 1.0f, f0, F);
        nn_abs(f0, (size_t)F);
    }
    free(a);
    free(b);
    return ok && len == F ? cv_ok() : hift_oom();
}

static cv_status f0_double(const hift_model *m, const float *mel, int T, int F, bool finalize,
                           float *f0)
{
    const int C = m->cfg.f0_cond_channels, Cin = m->cfg.in_channels;
    size_t big = (size_t)(C > Cin ? C : Cin) * T;
    double *a = malloc(sizeof(double) * big), *b = malloc(sizeof(double) * big);
    double *out = malloc(sizeof(double) * (F > 0 ? F : 1));
    bool ok = a && b && out;
    for (size_t i = 0; ok && i < (size_t)Cin * T; i++) b[i] = mel[i];
    int len = T;
    for (int i = 0; ok && i < m->n_f0_convs; i++) {
        const hift_conv64 *cv = &m->f0_convs64[i];
        nn_conv1d_params p = i == 0 ? first_params(m, cv->p, finalize) : cv->p;
        ok = nn_conv1d_f64(&p, b, len, cv->w, cv->b, a);
        len = nn_conv1d_out_len(&p, len);
        nn_elu_f64(a, (size_t)C * len);
        double *t = a;
        a = b;
        b = t;
    }
    ok = ok && len == F;
    if (ok) {
        for (int t = 0; t < F; t++) out[t] = m->f0_cls_b64;
        nn_dgemm(1, F, C, m->f0_cls_w64, b, out, true);
        for (int t = 0; t < F; t++) f0[t] = (float)fabs(out[t]);
    }
    free(a), free(b), free(out);
    return ok ? cv_ok() : hift_oom();
}

cv_status hift_f0_ex(const hift_model *m, const float *mel, int T, bool finalize, float *f0)
{
    int F = hift_f0_frames(m, T, finalize);
    if (T <= 0 || F <= 0)
        return cv_error(CV_INVALID_ARGUMENT, "hift: %d mel frames are too few", T);
    return m->cfg.f0_double ? f0_double(m, mel, T, F, finalize, f0)
                            : f0_float(m, mel, T, F, finalize, f0);
}

cv_status hift_f0(const hift_model *m, const float *mel, int T, float *f0)
{
    return hift_f0_ex(m, mel, T, true, f0);
}
