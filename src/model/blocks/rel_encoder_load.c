/* Configuration defaults and weight binding of the relative-position encoder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/io/pt_bind.h"
#include "model/blocks/rel_encoder_internal.h"

rel_encoder_config rel_encoder_config_default(rel_enc_kind kind)
{
    rel_encoder_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.input_layer = REL_ENC_INPUT_LINEAR;
    /* the reference classes' own defaults: ConformerEncoder swish,
     * TransformerEncoder relu */
    c.activation = kind == REL_ENC_CONFORMER ? REL_ENC_ACT_SWISH : REL_ENC_ACT_RELU;
    c.static_chunk_size = 0;
    return c;
}

bool rel_enc_input_parse(const char *s, rel_enc_input *out)
{
    if (!s) return false;
    if (strcmp(s, "linear") == 0) *out = REL_ENC_INPUT_LINEAR;
    else if (strcmp(s, "linear_legacy") == 0) *out = REL_ENC_INPUT_LINEAR_LEGACY;
    else return false;
    return true;
}

bool rel_enc_activation_parse(const char *s, rel_enc_activation *out)
{
    if (!s) return false;
    if (strcmp(s, "relu") == 0) *out = REL_ENC_ACT_RELU;
    else if (strcmp(s, "swish") == 0) *out = REL_ENC_ACT_SWISH;
    else return false;
    return true;
}

const rel_encoder_config *rel_encoder_cfg(const rel_encoder *enc) { return &enc->cfg; }

static cv_status bind_lin(const pt_dict *sd, const char *prefix, const char *name, int in,
                          int out, bool bias, rel_lin *l)
{
    char n[160];
    l->in = in;
    l->out = out;
    l->b = NULL;
    snprintf(n, sizeof n, "%s.weight", name);
    cv_status s = pt_bind(sd, prefix, n, out, in, &l->w);
    if (!cv_is_ok(&s) || !bias) return s;
    snprintf(n, sizeof n, "%s.bias", name);
    return pt_bind(sd, prefix, n, out, 0, &l->b);
}

static cv_status bind_norm(const pt_dict *sd, const char *prefix, const char *name, int d,
                           rel_norm *nm)
{
    char n[160];
    snprintf(n, sizeof n, "%s.weight", name);
    cv_status s = pt_bind(sd, prefix, n, d, 0, &nm->g);
    if (!cv_is_ok(&s)) return s;
    snprintf(n, sizeof n, "%s.bias", name);
    return pt_bind(sd, prefix, n, d, 0, &nm->b);
}

/* Tensors of modules this implementation does not run (convolution module,
 * macaron feed-forward) must not be silently ignored. */
static cv_status refuse_unsupported(const pt_dict *sd, const char *prefix)
{
    static const char *const unsupported[] = {".conv_module.", ".feed_forward_macaron.",
                                              ".norm_conv.", ".norm_final."};
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < sd->count; i++) {
        const char *name = sd->items[i].name;
        if (strncmp(name, prefix, plen) != 0) continue;
        for (size_t u = 0; u < sizeof unsupported / sizeof *unsupported; u++)
            if (strstr(name + plen, unsupported[u]))
                return cv_error(CV_UNIMPLEMENTED,
                                "encoder %s: %s needs a module this engine does not implement",
                                prefix, name);
    }
    return cv_ok();
}

static cv_status bind_layer(const pt_dict *sd, const char *prefix, int i,
                            const rel_encoder_config *c, rel_layer *L)
{
    char p[160];
    snprintf(p, sizeof p, "%s%s.%d.", prefix, c->layers_name ? c->layers_name : "encoders", i);
    int d = c->output_size, dk = d / c->attention_heads;
    bool conf = c->kind == REL_ENC_CONFORMER;
    cv_status s;
#define TRY(x)                         \
    do {                               \
        s = (x);                       \
        if (!cv_is_ok(&s)) return s;   \
    } while (0)
    TRY(bind_norm(sd, p, conf ? "norm_mha" : "norm1", d, &L->norm_att));
    TRY(bind_norm(sd, p, conf ? "norm_ff" : "norm2", d, &L->norm_ff));
    TRY(bind_lin(sd, p, "self_attn.linear_q", d, d, true, &L->q));
    TRY(bind_lin(sd, p, "self_attn.linear_k", d, d, true, &L->k));
    TRY(bind_lin(sd, p, "self_attn.linear_v", d, d, true, &L->v));
    TRY(bind_lin(sd, p, "self_attn.linear_out", d, d, true, &L->o));
    TRY(bind_lin(sd, p, "self_attn.linear_pos", d, d, false, &L->pos));
    TRY(pt_bind(sd, p, "self_attn.pos_bias_u", c->attention_heads, dk, &L->bias_u));
    TRY(pt_bind(sd, p, "self_attn.pos_bias_v", c->attention_heads, dk, &L->bias_v));
    TRY(bind_lin(sd, p, "feed_forward.w_1", d, c->linear_units, true, &L->w1));
    TRY(bind_lin(sd, p, "feed_forward.w_2", c->linear_units, d, true, &L->w2));
#undef TRY
    return cv_ok();
}

cv_status rel_encoder_load(const pt_dict *sd, const char *prefix,
                           const rel_encoder_config *cfg, rel_encoder **out)
{
    *out = NULL;
    const rel_encoder_config *c = cfg;
    if (c->input_size <= 0 || c->output_size <= 0 || c->attention_heads <= 0 ||
        c->output_size % c->attention_heads != 0 || c->output_size % 2 != 0 ||
        c->linear_units <= 0 || c->num_blocks <= 0 || c->static_chunk_size < 0)
        return cv_error(CV_INVALID_ARGUMENT, "encoder %s: invalid hyper-parameters", prefix);
    cv_status s = refuse_unsupported(sd, prefix);
    if (!cv_is_ok(&s)) return s;

    rel_encoder *enc = calloc(1, sizeof *enc);
    if (!enc) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    enc->cfg = *c;
    int d = c->output_size;
    enc->layers = calloc((size_t)c->num_blocks, sizeof *enc->layers);
    enc->div_term = malloc((size_t)(d / 2) * sizeof(float));
    if (!enc->layers || !enc->div_term) {
        rel_encoder_free(enc);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    /* float32 arithmetic as torch does it: exp(arange(0,d,2) * -(ln(1e4)/d)) */
    float k = (float)(-(log(10000.0) / d));
    for (int i = 0; i < d / 2; i++) enc->div_term[i] = expf((float)(2 * i) * k);

    char e0[96], e1[96];
    const char *en = c->embed_name ? c->embed_name : "embed";
    snprintf(e0, sizeof e0, "%s.out.0", en);
    snprintf(e1, sizeof e1, "%s.out.1", en);
    s = bind_lin(sd, prefix, e0, c->input_size, d, true, &enc->embed);
    if (cv_is_ok(&s)) s = bind_norm(sd, prefix, e1, d, &enc->embed_norm);
    if (cv_is_ok(&s) && !c->no_final_norm)
        s = bind_norm(sd, prefix, "after_norm", d, &enc->after_norm);
    for (int i = 0; i < c->num_blocks && cv_is_ok(&s); i++)
        s = bind_layer(sd, prefix, i, c, &enc->layers[i]);
    if (!cv_is_ok(&s)) {
        rel_encoder_free(enc);
        return s;
    }
    *out = enc;
    return cv_ok();
}

static rel_lin *layer_lin(rel_layer *L, int i)
{
    rel_lin *all[] = {&L->q, &L->k, &L->v, &L->o, &L->w1, &L->w2};
    return i < 6 ? all[i] : NULL;
}

cv_status rel_encoder_quantize(rel_encoder *enc)
{
    for (int l = 0; l < enc->cfg.num_blocks; l++) {
        rel_lin *lin;
        for (int i = 0; (lin = layer_lin(&enc->layers[l], i)) != NULL; i++) {
            if (lin->q8.q) continue;
            if (!nn_q8_quantize(lin->w, lin->out, lin->in, &lin->q8))
                return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory quantizing weights");
        }
    }
    return cv_ok();
}

void rel_encoder_free(rel_encoder *enc)
{
    if (!enc) return;
    for (int l = 0; enc->layers && l < enc->cfg.num_blocks; l++) {
        rel_lin *lin;
        for (int i = 0; (lin = layer_lin(&enc->layers[l], i)) != NULL; i++) nn_q8_free(&lin->q8);
    }
    free(enc->layers);
    free(enc->div_term);
    free(enc);
}
