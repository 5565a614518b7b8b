/* Tests of the relative-position encoder against a literal, loop-only
 * re-statement of the reference computation (including the ESPnet
 * pad-and-reshape rel_shift on a pos_emb sliced from the flipped sinusoid
 * table), and of incremental decoding against whole-sequence runs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "random/random_weights.h"
#include "model/blocks/rel_encoder.h"

/* ---- naive reference ---------------------------------------------------- */

static const float *W(const pt_dict *d, const char *p, const char *n)
{
    char key[256];
    snprintf(key, sizeof key, "%s%s", p, n);
    const pt_tensor *t = pt_find(d, key);
    assert_non_null(t);
    return t->data;
}

static void ref_linear(const float *x, int T, int in, const float *w, const float *b, int out,
                       float *y)
{
    for (int t = 0; t < T; t++)
        for (int o = 0; o < out; o++) {
            double s = b ? b[o] : 0.0;
            for (int i = 0; i < in; i++) s += (double)x[t * in + i] * w[o * in + i];
            y[t * out + o] = (float)s;
        }
}

static void ref_ln(float *x, int T, int d, const float *g, const float *b, double eps)
{
    for (int t = 0; t < T; t++) {
        double m = 0, v = 0;
        for (int i = 0; i < d; i++) m += x[t * d + i];
        m /= d;
        for (int i = 0; i < d; i++) v += (x[t * d + i] - m) * (x[t * d + i] - m);
        v /= d;
        for (int i = 0; i < d; i++)
            x[t * d + i] = (float)((x[t * d + i] - m) / sqrt(v + eps) * g[i] + b[i]);
    }
}

/* pe row for relative position r, d wide */
static void ref_pe(int r, int d, float *row)
{
    for (int i = 0; i < d / 2; i++) {
        double div = exp(2.0 * i * -(log(10000.0) / d));
        row[2 * i] = (float)sin(r * div);
        row[2 * i + 1] = (float)cos(r * div);
    }
}

static void ref_encoder(const pt_dict *sd, const char *p, const rel_encoder_config *c,
                        const float *x, int T, float *out)
{
    int d = c->output_size, H = c->attention_heads, dk = d / H, F = c->linear_units;
    float *h = calloc((size_t)T * d, sizeof(float));
    float *xn = calloc((size_t)T * d, sizeof(float));
    float *q = calloc((size_t)T * d, sizeof(float)), *k = calloc((size_t)T * d, sizeof(float));
    float *v = calloc((size_t)T * d, sizeof(float)), *ctx = calloc((size_t)T * d, sizeof(float));
    float *tmp = calloc((size_t)T * (F > d ? F : d), sizeof(float));
    int NP = 2 * T - 1;
    float *pos_emb = calloc((size_t)NP * d, sizeof(float)), *pp = calloc((size_t)NP * d, sizeof(float));
    float *bd = calloc((size_t)T * NP, sizeof(float)), *padded = calloc((size_t)T * 2 * T, sizeof(float));
    double *sc = calloc((size_t)T, sizeof(double));
    bool conf = c->kind == REL_ENC_CONFORMER;
    char lp[64], n[128];

    ref_linear(x, T, c->input_size, W(sd, p, "embed.out.0.weight"), W(sd, p, "embed.out.0.bias"), d, h);
    ref_ln(h, T, d, W(sd, p, "embed.out.1.weight"), W(sd, p, "embed.out.1.bias"), 1e-5);
    for (int i = 0; i < T * d; i++) {
        if (c->input_layer == REL_ENC_INPUT_LINEAR_LEGACY && h[i] < 0) h[i] = 0;
        h[i] *= sqrtf((float)d);
    }
    /* pos_emb = pe[center-T+1 : center+T]: row k is relative position T-1-k */
    for (int kk = 0; kk < NP; kk++) ref_pe(T - 1 - kk, d, pos_emb + kk * d);

    for (int l = 0; l < c->num_blocks; l++) {
        snprintf(lp, sizeof lp, "%sencoders.%d.", p, l);
#define LW(name) (snprintf(n, sizeof n, "%s", name), W(sd, lp, n))
        memcpy(xn, h, sizeof(float) * T * d);
        ref_ln(xn, T, d, LW(conf ? "norm_mha.weight" : "norm1.weight"),
               LW(conf ? "norm_mha.bias" : "norm1.bias"), 1e-12);
        ref_linear(xn, T, d, LW("self_attn.linear_q.weight"), LW("self_attn.linear_q.bias"), d, q);
        ref_linear(xn, T, d, LW("self_attn.linear_k.weight"), LW("self_attn.linear_k.bias"), d, k);
        ref_linear(xn, T, d, LW("self_attn.linear_v.weight"), LW("self_attn.linear_v.bias"), d, v);
        ref_linear(pos_emb, NP, d, LW("self_attn.linear_pos.weight"), NULL, d, pp);
        const float *bu = LW("self_attn.pos_bias_u"), *bv = LW("self_attn.pos_bias_v");
        for (int hh = 0; hh < H; hh++) {
            /* matrix_bd (T x 2T-1), then rel_shift exactly as the reference
             * does it: left-pad a zero column, view as (2T, T), drop the
             * first row, view back as (T, 2T-1) and keep T columns */
            for (int i = 0; i < T; i++)
                for (int kk = 0; kk < NP; kk++) {
                    double s = 0;
                    for (int e = 0; e < dk; e++)
                        s += (double)(q[i * d + hh * dk + e] + bv[hh * dk + e]) * pp[kk * d + hh * dk + e];
                    bd[i * NP + kk] = (float)s;
                }
            for (int i = 0; i < T; i++) {
                padded[i * 2 * T] = 0;
                for (int kk = 0; kk < NP; kk++) padded[i * 2 * T + 1 + kk] = bd[i * NP + kk];
            }
            for (int i = 0; i < T; i++) {
                double mx = -INFINITY;
                for (int j = 0; j < T; j++) {
                    double ac = 0;
                    for (int e = 0; e < dk; e++)
                        ac += (double)(q[i * d + hh * dk + e] + bu[hh * dk + e]) * k[j * d + hh * dk + e];
                    double shifted = padded[T + i * NP + j];
                    bool vis = c->static_chunk_size <= 0 ||
                               j < (i / c->static_chunk_size + 1) * c->static_chunk_size;
                    sc[j] = vis ? (ac + shifted) / sqrt((double)dk) : -INFINITY;
                    if (sc[j] > mx) mx = sc[j];
                }
                double z = 0;
                for (int j = 0; j < T; j++) z += (sc[j] = exp(sc[j] - mx));
                for (int e = 0; e < dk; e++) {
                    double s = 0;
                    for (int j = 0; j < T; j++) s += sc[j] / z * v[j * d + hh * dk + e];
                    ctx[i * d + hh * dk + e] = (float)s;
                }
            }
        }
        ref_linear(ctx, T, d, LW("self_attn.linear_out.weight"), LW("self_attn.linear_out.bias"), d, tmp);
        for (int i = 0; i < T * d; i++) h[i] += tmp[i];
        memcpy(xn, h, sizeof(float) * T * d);
        ref_ln(xn, T, d, LW(conf ? "norm_ff.weight" : "norm2.weight"),
               LW(conf ? "norm_ff.bias" : "norm2.bias"), 1e-12);
        float *mid = calloc((size_t)T * F, sizeof(float));
        ref_linear(xn, T, d, LW("feed_forward.w_1.weight"), LW("feed_forward.w_1.bias"), F, mid);
        for (int i = 0; i < T * F; i++)
            mid[i] = c->activation == REL_ENC_ACT_SWISH ? mid[i] / (1.0f + expf(-mid[i]))
                                                       : (mid[i] > 0 ? mid[i] : 0);
        ref_linear(mid, T, F, LW("feed_forward.w_2.weight"), LW("feed_forward.w_2.bias"), d, tmp);
        for (int i = 0; i < T * d; i++) h[i] += tmp[i];
        free(mid);
#undef LW
    }
    ref_ln(h, T, d, W(sd, p, "after_norm.weight"), W(sd, p, "after_norm.bias"), 1e-5);
    memcpy(out, h, sizeof(float) * T * d);
    free(h), free(xn), free(q), free(k), free(v), free(ctx), free(tmp), free(pos_emb), free(pp);
    free(bd), free(padded), free(sc);
}

/* ---- fixtures ----------------------------------------------------------- */

static rel_encoder_config small_cfg(rel_enc_kind kind, rel_enc_input in, int chunk)
{
    rel_encoder_config c = rel_encoder_config_default(kind);
    c.input_size = 12;
    c.output_size = 16;
    c.attention_heads = 4;
    c.linear_units = 24;
    c.num_blocks = 2;
    c.input_layer = in;
    c.static_chunk_size = chunk;
    return c;
}

static void random_input(float *x, int n, uint64_t seed)
{
    rw_rng r = rw_rng_seed(seed);
    for (int i = 0; i < n; i++) x[i] = (float)(2.0 * erand48(r.x) - 1.0);
}

static float max_diff(const float *a, const float *b, size_t n)
{
    float m = 0;
    for (size_t i = 0; i < n; i++) {
        float e = fabsf(a[i] - b[i]);
        if (!(e <= m)) m = e; /* NaN propagates */
    }
    return m;
}

static void check_against_reference(rel_enc_kind kind, rel_enc_input in, int chunk, int T)
{
    rel_encoder_config c = small_cfg(kind, in, chunk);
    pt_dict sd = {0};
    rw_rng rng = rw_rng_seed(7);
    cv_status s = rw_add_rel_encoder(&sd, "enc.", &c, &rng);
    assert_int_equal(s.code, CV_OK);
    rel_encoder *enc = NULL;
    s = rel_encoder_load(&sd, "enc.", &c, &enc);
    assert_int_equal(s.code, CV_OK);
    float *x = malloc(sizeof(float) * T * c.input_size);
    float *y = malloc(sizeof(float) * T * c.output_size);
    float *r = malloc(sizeof(float) * T * c.output_size);
    random_input(x, T * c.input_size, 3);
    s = rel_encoder_forward(enc, x, T, y);
    assert_int_equal(s.code, CV_OK);
    ref_encoder(&sd, "enc.", &c, x, T, r);
    float e = max_diff(y, r, (size_t)T * c.output_size);
    if (e > 1e-4f) fail_msg("max diff %g (kind %d input %d chunk %d T %d)", e, kind, in, chunk, T);
    free(x), free(y), free(r);
    rel_encoder_free(enc);
    pt_free(&sd);
}

static void test_conformer_full_attention(void **state)
{
    (void)state;
    check_against_reference(REL_ENC_CONFORMER, REL_ENC_INPUT_LINEAR, 0, 9);
    check_against_reference(REL_ENC_CONFORMER, REL_ENC_INPUT_LINEAR, 0, 1);
}

static void test_conformer_causal(void **state)
{
    (void)state;
    check_against_reference(REL_ENC_CONFORMER, REL_ENC_INPUT_LINEAR, 1, 11);
}

static void test_chunked(void **state)
{
    (void)state;
    check_against_reference(REL_ENC_CONFORMER, REL_ENC_INPUT_LINEAR, 3, 10);
}

static void test_transformer_legacy(void **state)
{
    (void)state;
    check_against_reference(REL_ENC_TRANSFORMER, REL_ENC_INPUT_LINEAR_LEGACY, 1, 8);
}

/* Prefix in one call, then one frame per call: every output row equals the
 * whole-sequence causal run's row. */
static void test_incremental_matches_full(void **state)
{
    (void)state;
    rel_encoder_config c = small_cfg(REL_ENC_TRANSFORMER, REL_ENC_INPUT_LINEAR_LEGACY, 1);
    pt_dict sd = {0};
    rw_rng rng = rw_rng_seed(11);
    assert_int_equal(rw_add_rel_encoder(&sd, "llm.", &c, &rng).code, CV_OK);
    rel_encoder *enc = NULL;
    assert_int_equal(rel_encoder_load(&sd, "llm.", &c, &enc).code, CV_OK);
    /* longer than the first cache allocation and several linear_pos blocks,
     * so both grow mid-decoding */
    const int T = 300, prefix = 7, d = c.output_size;
    float *x = malloc(sizeof(float) * T * c.input_size);
    float *full = malloc(sizeof(float) * T * d), *inc = malloc(sizeof(float) * T * d);
    random_input(x, T * c.input_size, 5);
    assert_int_equal(rel_encoder_forward(enc, x, T, full).code, CV_OK);
    rel_encoder_state *st = rel_encoder_state_new(enc, T, NULL);
    assert_non_null(st);
    assert_int_equal(rel_encoder_step(enc, st, x, prefix, inc).code, CV_OK);
    for (int t = prefix; t < T; t++)
        assert_int_equal(rel_encoder_step(enc, st, x + t * c.input_size, 1, inc + t * d).code, CV_OK);
    assert_int_equal(rel_encoder_state_len(st), T);
    float e = max_diff(full, inc, (size_t)T * d);
    if (e > 1e-4f) fail_msg("incremental vs full: %g", e);
    /* the cache is full now */
    assert_int_equal(rel_encoder_step(enc, st, x, 1, inc).code, CV_RESOURCE_EXHAUSTED);
    /* after a reset it decodes the same again */
    rel_encoder_state_reset(st);
    assert_int_equal(rel_encoder_step(enc, st, x, 3, inc).code, CV_OK);
    assert_true(max_diff(full, inc, (size_t)3 * d) <= 1e-4f);
    rel_encoder_state_free(st);
    free(x), free(full), free(inc);
    rel_encoder_free(enc);
    pt_free(&sd);
}

static void test_load_checks_weights(void **state)
{
    (void)state;
    rel_encoder_config c = small_cfg(REL_ENC_CONFORMER, REL_ENC_INPUT_LINEAR, 0);
    pt_dict sd = {0};
    rw_rng rng = rw_rng_seed(1);
    assert_int_equal(rw_add_rel_encoder(&sd, "e.", &c, &rng).code, CV_OK);
    rel_encoder *enc = NULL;
    /* wrong prefix: missing */
    assert_int_equal(rel_encoder_load(&sd, "x.", &c, &enc).code, CV_NOT_FOUND);
    assert_null(enc);
    /* wrong size: shape mismatch */
    rel_encoder_config c2 = c;
    c2.linear_units = 25;
    assert_int_equal(rel_encoder_load(&sd, "e.", &c2, &enc).code, CV_INVALID_ARGUMENT);
    /* wrong kind: the Transformer's norm names are absent */
    rel_encoder_config c3 = c;
    c3.kind = REL_ENC_TRANSFORMER;
    assert_int_equal(rel_encoder_load(&sd, "e.", &c3, &enc).code, CV_NOT_FOUND);
    /* a convolution module is refused rather than ignored */
    assert_int_equal(rw_add(&sd, "e.", "encoders.0.conv_module.pointwise_conv1.weight", 1,
                            (int64_t[]){4}, 0, 1, &rng).code, CV_OK);
    assert_int_equal(rel_encoder_load(&sd, "e.", &c, &enc).code, CV_UNIMPLEMENTED);
    pt_free(&sd);
}

static void test_parse_names(void **state)
{
    (void)state;
    rel_enc_input in;
    rel_enc_activation a;
    assert_true(rel_enc_input_parse("linear_legacy", &in) && in == REL_ENC_INPUT_LINEAR_LEGACY);
    assert_true(rel_enc_input_parse("linear", &in) && in == REL_ENC_INPUT_LINEAR);
    assert_false(rel_enc_input_parse("conv2d", &in));
    assert_true(rel_enc_activation_parse("swish", &a) && a == REL_ENC_ACT_SWISH);
    assert_false(rel_enc_activation_parse("gelu", &a));
    assert_int_equal(rel_encoder_config_default(REL_ENC_CONFORMER).activation, REL_ENC_ACT_SWISH);
    assert_int_equal(rel_encoder_config_default(REL_ENC_TRANSFORMER).activation, REL_ENC_ACT_RELU);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformer_full_attention),
        cmocka_unit_test(test_conformer_causal),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_transformer_legacy),
        cmocka_unit_test(test_incremental_matches_full),
        cmocka_unit_test(test_load_checks_weights),
        cmocka_unit_test(test_parse_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
