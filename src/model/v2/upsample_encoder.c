/* UpsampleConformerEncoder; see upsample_encoder.h. */
#include "model/v2/upsample_encoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/blocks/pre_lookahead.h"
#include "model/blocks/rel_encoder_yaml.h"
#include "nn/conv.h"
#include "nn/ops.h"

struct upsample_encoder {
    upsample_encoder_config cfg;
    rel_encoder *blocks, *up_blocks;
    pre_lookahead look;
    const float *up_w, *up_b; /* up_layer.conv [out][d][2*stride+1] */
    int up_out;
};

cv_status upsample_encoder_config_from_yaml(const yaml_config *y, upsample_encoder_config *c)
{
    const char *tag = yaml_config_tag(y, "flow.encoder");
    if (!tag || strcmp(tag, "cosyvoice.transformer.upsample_encoder.UpsampleConformerEncoder"))
        return cv_error(CV_UNIMPLEMENTED, "yaml: flow.encoder %s is not supported (wanted an "
                        "UpsampleConformerEncoder)", tag ? tag : "(none)");
    memset(c, 0, sizeof *c);
    /* the conformer keys and defaults are the ConformerEncoder's */
    cv_status st = rel_encoder_config_from_yaml_as(y, "flow.encoder", REL_ENC_CONFORMER, &c->blocks);
    if (!cv_is_ok(&st)) return st;
    c->static_chunk_size = c->blocks.static_chunk_size;
    c->blocks.static_chunk_size = 0; /* chunks apply in streaming mode only */
    c->blocks.no_final_norm = true;
    c->up_blocks = c->blocks;
    c->up_blocks.embed_name = "up_embed";
    c->up_blocks.layers_name = "up_encoders";
    c->up_blocks.no_final_norm = false;
    c->up_blocks.num_blocks = 4; /* UpsampleConformerEncoder's fixed up stack */
    c->pre_lookahead_len = (int)yaml_config_int(y, "flow.pre_lookahead_len", 3);
    c->stride = 2; /* Upsample1D(stride=2) */
    if (c->pre_lookahead_len < 1)
        return cv_error(CV_INVALID_ARGUMENT, "yaml: flow.pre_lookahead_len must be >= 1");
    return cv_ok();
}

void upsample_encoder_free(upsample_encoder *e)
{
    if (!e) return;
    rel_encoder_free(e->blocks);
    rel_encoder_free(e->up_blocks);
    free(e);
}

int upsample_encoder_width(const upsample_encoder *e) { return e->cfg.blocks.output_size; }

cv_status upsample_encoder_load(const pt_dict *sd, const char *prefix,
                                const upsample_encoder_config *cfg, upsample_encoder **out)
{
    *out = NULL;
    upsample_encoder *e = calloc(1, sizeof *e);
    if (!e) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    e->cfg = *cfg;
    const int d = cfg->blocks.output_size, k = 2 * cfg->stride + 1;
    char p[256], name[300];
    snprintf(p, sizeof p, "%spre_lookahead_layer.", prefix);
    cv_status st = pre_lookahead_bind(&e->look, sd, p, cfg->pre_lookahead_len, d);
    snprintf(name, sizeof name, "%sup_layer.conv.weight", prefix);
    const pt_tensor *w = pt_find(sd, name);
    snprintf(name, sizeof name, "%sup_layer.conv.bias", prefix);
    const pt_tensor *b = pt_find(sd, name);
    if (cv_is_ok(&st) && (!w || !b || w->ndim != 3 || w->shape[1] != d || w->shape[2] != k ||
                          b->ndim != 1 || b->shape[0] != w->shape[0]))
        st = cv_error(CV_INVALID_ARGUMENT, "flow.pt: %sup_layer.conv missing or not [., %d, %d]",
                      prefix, d, k);
    if (cv_is_ok(&st)) {
        e->up_w = w->data;
        e->up_b = b->data;
        e->up_out = (int)w->shape[0];
        e->cfg.up_blocks.input_size = e->up_out;
        st = rel_encoder_load(sd, prefix, &e->cfg.blocks, &e->blocks);
    }
    if (cv_is_ok(&st)) st = rel_encoder_load(sd, prefix, &e->cfg.up_blocks, &e->up_blocks);
    if (!cv_is_ok(&st)) {
        upsample_encoder_free(e);
        return st;
    }
    *out = e;
    return cv_ok();
}

/* Upsample1D: nearest x stride, zero padding of 2 * stride on the left, a
 * conv of kernel 2 * stride + 1: h [n][d] rows -> y [stride * n][up_out]. */
static cv_status upsample(const upsample_encoder *e, const float *h, int n, float *y)
{
    const int d = e->cfg.blocks.output_size, s = e->cfg.stride, N = n * s;
    float *ht = malloc(sizeof(float) * d * n), *rep = malloc(sizeof(float) * d * N);
    float *o = malloc(sizeof(float) * e->up_out * N);
    bool ok = ht && rep && o;
    if (ok) {
        nn_transpose(h, n, d, ht);
        nn_upsample_nearest(ht, d, n, s, rep);
        nn_conv1d_params p = {.cin = d, .cout = e->up_out, .kernel = 2 * s + 1, .stride = 1,
                              .dilation = 1, .pad_left = 2 * s, .groups = 1};
        ok = nn_conv1d(&p, rep, N, e->up_w, e->up_b, o);
    }
    if (ok) nn_transpose(o, e->up_out, N, y);
    free(ht), free(rep), free(o);
    return ok ? cv_ok() : cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
}

cv_status upsample_encoder_forward(const upsample_encoder *e, const float *x, int n, int n_ctx,
                                   bool streaming, float *y)
{
    const upsample_encoder_config *c = &e->cfg;
    const int d = c->blocks.output_size, s = c->stride;
    if (n < 1) return cv_error(CV_INVALID_ARGUMENT, "flow encoder: no tokens");
    float *emb = malloc(sizeof(float) * (size_t)(n + n_ctx) * d);
    float *h = malloc(sizeof(float) * (size_t)n * d);
    float *u = malloc(sizeof(float) * (size_t)n * s * e->up_out);
    cv_status st = emb && h && u ? cv_ok() : cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    if (cv_is_ok(&st)) {
        /* the context tokens are embedded like the others (the reference
         * embeds them apart, with positions after the last token, which
         * only the attention would use) */
        rel_encoder_embed(e->blocks, x, n + n_ctx, emb);
        st = pre_lookahead_forward(&e->look, emb, n, n_ctx, h);
    }
    if (cv_is_ok(&st)) st = rel_encoder_layers(e->blocks, h, n, streaming ? c->static_chunk_size : 0);
    if (cv_is_ok(&st)) st = upsample(e, h, n, u);
    if (cv_is_ok(&st)) {
        rel_encoder_embed(e->up_blocks, u, n * s, y);
        st = rel_encoder_layers(e->up_blocks, y, n * s, streaming ? c->static_chunk_size * s : 0);
    }
    free(emb), free(h), free(u);
    return st;
}
