/* Network layers: Conv (1-D on the tensor core's nn_conv1d, 2-D as
 * im2col + GEMM), BatchNormalization (inference), LayerNormalization,
 * AveragePool (1-D/2-D) and Pad (constant, reflect, edge). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/conv.h"
#include "nn/matmul.h"
#include "nn/ops.h"
#include "onnx/onnx_internal.h"

/* spatial attribute k of a list, with a default */
static int64_t attr_at(const int64_t *v, size_t len, size_t k, int64_t def)
{
    return k < len ? v[k] : def;
}

static cv_status conv2d(const ox_node *n, const ox_tensor *x, const ox_tensor *w,
                        const ox_tensor *b, int groups, const int64_t *st, const int64_t *dil,
                        const int64_t *pads, ox_tensor **out)
{
    const int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    const int64_t F = w->shape[0], Cg = w->shape[1], KH = w->shape[2], KW = w->shape[3];
    const int64_t OH = (H + pads[0] + pads[2] - dil[0] * (KH - 1) - 1) / st[0] + 1;
    const int64_t OW = (W + pads[1] + pads[3] - dil[1] * (KW - 1) - 1) / st[1] + 1;
    if (OH <= 0 || OW <= 0) return ox_err(n, "input smaller than the kernel");
    if (Cg * groups != C || F % groups) return ox_err(n, "channels do not match groups");
    int64_t shape[4] = {N, F, OH, OW};
    const int64_t rows = Cg * KH * KW, cols = OH * OW, Fg = F / groups;
    const int64_t limit = (int64_t)ox_element_limit();
    if (cols > limit || rows > limit / (cols ? cols : 1)) return ox_oom(n); /* im2col buffer */
    ox_tensor *y = ox_tensor_new(OX_FLOAT, 4, shape);
    float *col = malloc(sizeof(float) * (size_t)(rows * cols > 0 ? rows * cols : 1));
    if (!y || !col) {
        ox_tensor_free(y);
        free(col);
        return ox_oom(n);
    }
    for (int64_t bi = 0; bi < N; bi++)
        for (int g = 0; g < groups; g++) {
            const float *xg = ox_f(x) + (bi * C + g * Cg) * H * W;
            for (int64_t c = 0; c < Cg; c++)
                for (int64_t kh = 0; kh < KH; kh++)
                    for (int64_t kw = 0; kw < KW; kw++) {
                        float *r = col + ((c * KH + kh) * KW + kw) * cols;
                        for (int64_t oh = 0; oh < OH; oh++) {
                            const int64_t ih = oh * st[0] - pads[0] + kh * dil[0];
                            for (int64_t ow = 0; ow < OW; ow++) {
                                const int64_t iw = ow * st[1] - pads[1] + kw * dil[1];
                                r[oh * OW + ow] = ih >= 0 && ih < H && iw >= 0 && iw < W
                                                      ? xg[(c * H + ih) * W + iw]
                                                      : 0.0f;
                            }
                        }
                    }
            float *yg = ox_f(y) + (bi * F + g * Fg) * cols;
            nn_gemm(false, false, (int)Fg, (int)cols, (int)rows, 1.0f, ox_f(w) + g * Fg * rows,
                    (int)rows, col, (int)cols, 0.0f, yg, (int)cols);
            if (b)
                for (int64_t f = 0; f < Fg; f++)
                    for (int64_t i = 0; i < cols; i++) yg[f * cols + i] += ox_f(b)[g * Fg + f];
        }
    free(col);
    out[0] = y;
    return cv_ok();
}

static cv_status op_conv(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0], *w = in[1], *b = n->n_in > 2 ? in[2] : NULL;
    if (x->dtype != OX_FLOAT || w->dtype != OX_FLOAT || (b && b->dtype != OX_FLOAT))
        return ox_err(n, "not float");
    const int sp = x->ndim - 2;
    if ((sp != 1 && sp != 2) || w->ndim != x->ndim) return ox_err(n, "only 1-D and 2-D convolutions");
    const char *ap = ox_attr_string(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET")) return ox_err(n, "auto_pad %s is not supported", ap);
    if (b && (b->ndim != 1 || b->shape[0] != w->shape[0])) return ox_err(n, "bad bias");
    size_t ns, nd, np;
    const int64_t *s = ox_attr_ints(n, "strides", &ns), *d = ox_attr_ints(n, "dilations", &nd);
    const int64_t *p = ox_attr_ints(n, "pads", &np);
    const int64_t groups = ox_attr_int(n, "group", 1);
    int64_t st[2], dil[2], pads[4];
    for (int k = 0; k < sp; k++) {
        st[k] = attr_at(s, ns, k, 1);
        dil[k] = attr_at(d, nd, k, 1);
        pads[k] = attr_at(p, np, k, 0);
        pads[sp + k] = attr_at(p, np, sp + k, 0);
        if (st[k] < 1 || dil[k] < 1 || pads[k] < 0 || pads[sp + k] < 0 || st[k] > INT32_MAX ||
            dil[k] > INT32_MAX || pads[k] > INT32_MAX || pads[sp + k] > INT32_MAX)
            return ox_err(n, "bad strides, dilations or pads");
    }
    if (groups < 1 || groups > x->shape[1]) return ox_err(n, "bad group");
    for (int k = 0; k < x->ndim; k++)
        if (x->shape[k] > INT32_MAX || w->shape[k] > INT32_MAX) return ox_err(n, "too large");
    if (sp == 2) return conv2d(n, x, w, b, (int)groups, st, dil, pads, out);
    nn_conv1d_params prm = {.cin = (int)x->shape[1], .cout = (int)w->shape[0],
                            .kernel = (int)w->shape[2], .stride = (int)st[0],
                            .dilation = (int)dil[0], .pad_left = (int)pads[0],
                            .pad_right = (int)pads[1], .groups = (int)groups};
    if (w->shape[1] * groups != x->shape[1] || w->shape[0] % groups || prm.kernel < 1)
        return ox_err(n, "channels do not match groups");
    const int T = (int)x->shape[2], To = nn_conv1d_out_len(&prm, T);
    if (To <= 0) return ox_err(n, "input shorter than the kernel");
    int64_t shape[3] = {x->shape[0], w->shape[0], To};
    ox_tensor *y = ox_tensor_new(OX_FLOAT, 3, shape);
    if (!y) return ox_oom(n);
    for (int64_t bi = 0; bi < x->shape[0]; bi++)
        if (!nn_conv1d(&prm, ox_f(x) + bi * prm.cin * T, T, ox_f(w), b ? ox_f(b) : NULL,
                       ox_f(y) + bi * prm.cout * To)) {
            ox_tensor_free(y);
            return ox_oom(n);
        }
    out[0] = y;
    return cv_ok();
}

static cv_status op_batch_norm(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0];
    if (ox_attr_int(n, "training_mode", 0)) return ox_err(n, "training mode is not supported");
    if (x->dtype != OX_FLOAT || x->ndim < 2) return ox_err(n, "needs float [N, C, ...]");
    const int64_t C = x->shape[1];
    for (int k = 1; k < 5; k++)
        if (in[k]->dtype != OX_FLOAT || in[k]->count != (size_t)C)
            return ox_err(n, "parameter %d does not have C elements", k);
    const float eps = ox_attr_float(n, "epsilon", 1e-5f);
    ox_tensor *y = ox_tensor_clone(x);
    if (!y) return ox_oom(n);
    size_t inner = 1;
    for (int d = 2; d < x->ndim; d++) inner *= (size_t)x->shape[d];
    const float *sc = ox_f(in[1]), *bi = ox_f(in[2]), *mu = ox_f(in[3]), *var = ox_f(in[4]);
    float *p = ox_f(y);
    for (int64_t b = 0; b < x->shape[0]; b++)
        for (int64_t c = 0; c < C; c++) {
            const float g = sc[c] / sqrtf(var[c] + eps), o = bi[c] - mu[c] * g;
            float *r = p + ((size_t)b * C + c) * inner;
            for (size_t i = 0; i < inner; i++) r[i] = r[i] * g + o;
        }
    out[0] = y;
    return cv_ok();
}

static cv_status op_layer_norm(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0], *g = in[1], *b = n->n_in > 2 ? in[2] : NULL;
    int a;
    if (x->dtype != OX_FLOAT || !ox_axis(ox_attr_int(n, "axis", -1), x->ndim, &a))
        return ox_err(n, "bad input or axis");
    size_t inner = 1;
    for (int d = a; d < x->ndim; d++) inner *= (size_t)x->shape[d];
    if (g->dtype != OX_FLOAT || g->count != inner || (b && (b->dtype != OX_FLOAT || b->count != inner)))
        return ox_err(n, "scale/bias must cover the normalised dimensions");
    if (inner == 0 || inner > INT32_MAX) return ox_err(n, "bad normalised size");
    ox_tensor *y = ox_tensor_new(OX_FLOAT, x->ndim, x->shape);
    if (!y) return ox_oom(n);
    const size_t rows = x->count / inner;
    nn_layer_norm(ox_f(x), ox_f(y), (int)rows, (int)inner, ox_f(g), b ? ox_f(b) : NULL,
                  ox_attr_float(n, "epsilon", 1e-5f));
    out[0] = y;
    return cv_ok();
}

static cv_status op_average_pool(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0];
    const int sp = x->ndim - 2;
    if (x->dtype != OX_FLOAT || (sp != 1 && sp != 2)) return ox_err(n, "only 1-D and 2-D pooling");
    const char *ap = ox_attr_string(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET")) return ox_err(n, "auto_pad %s is not supported", ap);
    size_t nk, ns, np;
    const int64_t *k = ox_attr_ints(n, "kernel_shape", &nk), *s = ox_attr_ints(n, "strides", &ns);
    const int64_t *p = ox_attr_ints(n, "pads", &np);
    if ((int)nk != sp) return ox_err(n, "kernel_shape has the wrong length");
    const bool ceil_mode = ox_attr_int(n, "ceil_mode", 0) != 0;
    const bool incl = ox_attr_int(n, "count_include_pad", 0) != 0;
    int64_t K[2] = {1, 1}, S[2] = {1, 1}, P0[2] = {0, 0}, P1[2] = {0, 0}, I[2] = {1, 1},
            O[2] = {1, 1};
    for (int d = 0; d < sp; d++) {
        K[d] = k[d];
        S[d] = attr_at(s, ns, d, 1);
        P0[d] = attr_at(p, np, d, 0);
        P1[d] = attr_at(p, np, sp + d, 0);
        I[d] = x->shape[2 + d];
        if (K[d] < 1 || S[d] < 1 || P0[d] < 0 || P1[d] < 0 || K[d] > INT32_MAX || S[d] > INT32_MAX ||
            P0[d] > INT32_MAX || P1[d] > INT32_MAX)
            return ox_err(n, "bad kernel, strides or pads");
        /* PyTorch's (and ONNX's) output size, floor division included: with
         * ceil_mode an input shorter than the kernel still gives one window,
         * clipped to the input (CAM++'s 100-frame segment pooling on a
         * prompt under 2 s) */
        const int64_t span = I[d] + P0[d] + P1[d] - K[d];
        const int64_t num = ceil_mode ? span + S[d] - 1 : span;
        O[d] = (num >= 0 ? num / S[d] : -((-num + S[d] - 1) / S[d])) + 1;
        /* the last window must start inside the input or left padding */
        if (ceil_mode && (O[d] - 1) * S[d] >= I[d] + P0[d]) O[d]--;
        if (O[d] < 1) return ox_err(n, "input smaller than the kernel");
    }
    int64_t shape[4] = {x->shape[0], x->shape[1], O[0], O[1]};
    ox_tensor *y = ox_tensor_new(OX_FLOAT, x->ndim, shape);
    if (!y) return ox_oom(n);
    const size_t planes = (size_t)(x->shape[0] * x->shape[1]);
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = ox_f(x) + pl * (size_t)(I[0] * I[1]);
        float *yp = ox_f(y) + pl * (size_t)(O[0] * O[1]);
        for (int64_t o0 = 0; o0 < O[0]; o0++)
            for (int64_t o1 = 0; o1 < O[1]; o1++) {
                const int64_t s0 = o0 * S[0] - P0[0], s1 = o1 * S[1] - P0[1];
                int64_t e0 = s0 + K[0], e1 = s1 + K[1];
                /* window clipped to input + padding (what counts when pads count) */
                int64_t pe0 = e0 < I[0] + P1[0] ? e0 : I[0] + P1[0];
                int64_t pe1 = e1 < I[1] + P1[1] ? e1 : I[1] + P1[1];
                const int64_t a0 = s0 < 0 ? 0 : s0, a1 = s1 < 0 ? 0 : s1;
                e0 = e0 < I[0] ? e0 : I[0];
                e1 = e1 < I[1] ? e1 : I[1];
                double sum = 0;
                for (int64_t i0 = a0; i0 < e0; i0++)
                    for (int64_t i1 = a1; i1 < e1; i1++) sum += xp[i0 * I[1] + i1];
                const int64_t cnt = incl ? (pe0 - s0) * (pe1 - s1) : (e0 - a0) * (e1 - a1);
                yp[o0 * O[1] + o1] = cnt > 0 ? (float)(sum / (double)cnt) : 0.0f;
            }
    }
    out[0] = y;
    return cv_ok();
}

/* Pad(data, pads, constant_value?, axes?) with mode constant/reflect/edge;
 * negative pads crop. */
static cv_status op_pad(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0], *pt = in[1];
    const ox_tensor *cv = n->n_in > 2 ? in[2] : NULL, *at = n->n_in > 3 ? in[3] : NULL;
    const char *mode = ox_attr_string(n, "mode", "constant");
    int m = !strcmp(mode, "constant") ? 0 : !strcmp(mode, "reflect") ? 1 : !strcmp(mode, "edge") ? 2 : -1;
    if (m < 0) return ox_err(n, "mode '%s' is not supported", mode);
    if (pt->dtype == OX_FLOAT || pt->dtype == OX_BOOL || pt->ndim != 1) return ox_err(n, "bad pads");
    int axes[OX_MAX_DIMS], na = x->ndim;
    if (at) {
        if (at->count > OX_MAX_DIMS || at->dtype == OX_FLOAT) return ox_err(n, "bad axes");
        na = (int)at->count;
        for (int i = 0; i < na; i++)
            if (!ox_axis(ox_get_i64(at, i), x->ndim, &axes[i])) return ox_err(n, "bad axes");
    } else {
        for (int i = 0; i < na; i++) axes[i] = i;
    }
    if (pt->count != (size_t)(2 * na)) return ox_err(n, "pads has the wrong length");
    int64_t before[OX_MAX_DIMS] = {0}, shape[OX_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    for (int i = 0; i < na; i++) {
        const int64_t pb = ox_get_i64(pt, i), pe = ox_get_i64(pt, na + i);
        if (pb > INT32_MAX || pe > INT32_MAX || pb < -INT32_MAX || pe < -INT32_MAX)
            return ox_err(n, "pads too large");
        before[axes[i]] = pb;
        shape[axes[i]] = x->shape[axes[i]] + pb + pe;
        if (shape[axes[i]] < 0) return ox_err(n, "pads crop below zero");
        if (m == 1 && (pb >= x->shape[axes[i]] || pe >= x->shape[axes[i]]) && (pb > 0 || pe > 0))
            return ox_err(n, "reflect padding wider than the input");
        if (m == 2 && x->shape[axes[i]] == 0 && (pb > 0 || pe > 0))
            return ox_err(n, "edge padding of an empty dimension");
    }
    ox_tensor *y = ox_tensor_new(x->dtype, x->ndim, shape);
    if (!y) return ox_oom(n);
    const size_t item = ox_dtype_size(x->dtype);
    char fill[8] = {0};
    if (cv && cv->count >= 1 && cv->dtype == x->dtype) memcpy(fill, cv->data, item);
    int64_t xs[OX_MAX_DIMS], idx[OX_MAX_DIMS] = {0};
    ox_strides(x, xs);
    for (size_t o = 0; o < y->count; o++) {
        int64_t src = 0;
        bool inside = true;
        for (int d = 0; d < x->ndim; d++) {
            int64_t i = idx[d] - before[d];
            const int64_t ext = x->shape[d];
            if (i < 0 || i >= ext) {
                if (m == 0) inside = false;
                else if (m == 1) i = i < 0 ? -i : 2 * (ext - 1) - i;
                else i = i < 0 ? 0 : ext - 1;
            }
            src += i * xs[d];
        }
        memcpy((char *)y->data + o * item, inside ? (const char *)x->data + (size_t)src * item : fill,
               item);
        ox_next_index(idx, shape, x->ndim);
    }
    out[0] = y;
    return cv_ok();
}

const ox_op ox_ops_nn[] = {
    {"Conv", op_conv, 2, 3},
    {"BatchNormalization", op_batch_norm, 5, 5},
    {"LayerNormalization", op_layer_norm, 2, 3},
    {"AveragePool", op_average_pool, 1, 1},
    {"Pad", op_pad, 2, 4},
    {NULL, NULL, 0, 0},
};
