/* PreLookaheadLayer; see pre_lookahead.h. */
#include "model/blocks/pre_lookahead.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/conv.h"
#include "nn/ops.h"

static const pt_tensor *tensor(const pt_dict *sd, const char *prefix, const char *name, int ndim)
{
    char key[256];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    const pt_tensor *t = pt_find(sd, key);
    return t && t->ndim == ndim && !t->idata ? t : NULL;
}

cv_status pre_lookahead_bind(pre_lookahead *p, const pt_dict *sd, const char *prefix, int len,
                             int in_channels)
{
    memset(p, 0, sizeof *p);
    const pt_tensor *w1 = tensor(sd, prefix, "conv1.weight", 3);
    const pt_tensor *b1 = tensor(sd, prefix, "conv1.bias", 1);
    const pt_tensor *w2 = tensor(sd, prefix, "conv2.weight", 3);
    const pt_tensor *b2 = tensor(sd, prefix, "conv2.bias", 1);
    if (!w1 || !b1 || !w2 || !b2)
        return cv_error(CV_INVALID_ARGUMENT, "flow.pt: %sconv1/conv2 missing", prefix);
    int ch = (int)w1->shape[0];
    if (len < 1 || w1->shape[1] != in_channels || w1->shape[2] != len + 1 || b1->shape[0] != ch ||
        w2->shape[0] != in_channels || w2->shape[1] != ch || w2->shape[2] != 3 ||
        b2->shape[0] != in_channels)
        return cv_error(CV_INVALID_ARGUMENT,
                        "flow.pt: %sconv1/conv2 do not fit %d channels and a look-ahead of %d",
                        prefix, in_channels, len);
    *p = (pre_lookahead){in_channels, ch, len, w1->data, b1->data, w2->data, b2->data};
    return cv_ok();
}

cv_status pre_lookahead_forward(const pre_lookahead *p, const float *x, int T, int n_ctx,
                                float *y)
{
    if (T < 1 || n_ctx < 0 || n_ctx > p->len)
        return cv_error(CV_INVALID_ARGUMENT, "pre-look-ahead: %d frames with %d of context", T,
                        n_ctx);
    const int C = p->in_channels, H = p->channels, Tin = T + n_ctx;
    float *xt = malloc(sizeof(float) * C * Tin), *h = malloc(sizeof(float) * H * T);
    float *o = malloc(sizeof(float) * C * T);
    bool ok = xt && h && o;
    if (ok) {
        nn_transpose(x, Tin, C, xt); /* [C][T + n_ctx] */
        /* the context there is, zeros for the rest of the look-ahead */
        nn_conv1d_params c1 = {.cin = C, .cout = H, .kernel = p->len + 1, .stride = 1,
                               .dilation = 1, .pad_right = p->len - n_ctx, .groups = 1};
        nn_conv1d_params c2 = {.cin = H, .cout = C, .kernel = 3, .stride = 1, .dilation = 1,
                               .pad_left = 2, .groups = 1};
        ok = nn_conv1d(&c1, xt, Tin, p->w1, p->b1, h);
        nn_leaky_relu(h, h, (size_t)H * T, 0.01f);
        ok = ok && nn_conv1d(&c2, h, T, p->w2, p->b2, o);
    }
    if (ok) {
        nn_transpose(o, C, T, y); /* back to rows */
        nn_add(y, x, (size_t)T * C);
    }
    free(xt), free(h), free(o);
    return ok ? cv_ok() : cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
}
