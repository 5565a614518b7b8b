/* Flow model pieces: the batched [C][B*T] kernels against the per-item nn
 * ops, the estimator's batch independence and masking, the (z, mu) cache,
 * yaml configuration, and whole-flow input checks and determinism. The
 * golden-number comparison is the parity/flow ctest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/v1/flow.h"
#include "random/flow_random.h"
#include "model/blocks/seg_ops.h"
#include "nn/nn.h"

#define GOLDEN "tests/data/golden/cosyvoice-v1-tiny/"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static float frand(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}
static float *rand_vec(size_t n) {
    float *v = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) v[i] = frand();
    return v;
}
static double max_diff(const float *a, const float *b, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > m || isnan(d)) m = isnan(d) ? INFINITY : d;
    }
    return m;
}
/* column segment of item b of a [C][B*T] matrix as a [C][T] copy */
static float *segment(const float *x, int C, int B, int T, int b) {
    float *o = malloc((size_t)C * T * sizeof(float));
    for (int c = 0; c < C; c++)
        memcpy(o + (size_t)c * T, x + (size_t)c * B * T + (size_t)b * T, (size_t)T * sizeof(float));
    return o;
}

static void test_seg_conv_matches_nn(void **st) {
    (void)st;
    const int cases[][4] = {{3, 1, 1, 17}, {3, 2, 1, 17}, {3, 2, 1, 16}, {1, 1, 0, 9}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int k = cases[ci][0], s = cases[ci][1], p = cases[ci][2], T = cases[ci][3];
        int B = 2, cin = 5, cout = 7;
        int To = (T + 2 * p - k) / s + 1;
        float *x = rand_vec((size_t)cin * B * T), *w = rand_vec((size_t)cout * cin * k),
              *bias = rand_vec(cout);
        float *y = malloc((size_t)cout * B * To * sizeof(float));
        float *work = malloc(seg_conv1d_work(cin, B, T, k, s, p) * sizeof(float) + 4);
        seg_conv1d(x, cin, B, T, w, bias, cout, k, s, p, y, work, 0);
        nn_conv1d_params cp = {.cin = cin, .cout = cout, .kernel = k, .stride = s,
                               .dilation = 1, .pad_left = p, .pad_right = p, .groups = 1};
        assert_int_equal(nn_conv1d_out_len(&cp, T), To);
        for (int b = 0; b < B; b++) {
            float *xb = segment(x, cin, B, T, b), *yb = segment(y, cout, B, To, b);
            float *ref = malloc((size_t)cout * To * sizeof(float));
            assert_true(nn_conv1d(&cp, xb, T, w, bias, ref));
            assert_true(max_diff(yb, ref, (size_t)cout * To) < 1e-5);
            free(xb), free(yb), free(ref);
        }
        free(x), free(w), free(bias), free(y), free(work);
    }
}

static void test_seg_conv_transpose_matches_nn(void **st) {
    (void)st;
    int B = 2, cin = 4, cout = 6, T = 11, k = 4, s = 2, p = 1, To = (T - 1) * s - 2 * p + k;
    float *x = rand_vec((size_t)cin * B * T), *w = rand_vec((size_t)cin * cout * k),
          *bias = rand_vec(cout);
    float *y = malloc((size_t)cout * B * To * sizeof(float));
    float *work = malloc((size_t)cout * k * B * T * sizeof(float));
    seg_conv_transpose1d(x, cin, B, T, w, bias, cout, k, s, p, y, work);
    nn_conv_transpose1d_params cp = {.cin = cin, .cout = cout, .kernel = k, .stride = s,
                                     .dilation = 1, .padding = p};
    assert_int_equal(nn_conv_transpose1d_out_len(&cp, T), To);
    for (int b = 0; b < B; b++) {
        float *xb = segment(x, cin, B, T, b), *yb = segment(y, cout, B, To, b);
        float *ref = malloc((size_t)cout * To * sizeof(float));
        assert_true(nn_conv_transpose1d(&cp, xb, T, w, bias, ref));
        assert_true(max_diff(yb, ref, (size_t)cout * To) < 1e-5);
        free(xb), free(yb), free(ref);
    }
    free(x), free(w), free(bias), free(y), free(work);
}

static void test_seg_norms_match_nn(void **st) {
    (void)st;
    int B = 2, C = 16, T = 13, N = B * T;
    float *x = rand_vec((size_t)C * N), *g = rand_vec(C), *be = rand_vec(C);
    for (size_t i = 0; i < (size_t)C * N; i++) x[i] = x[i] * 3.0f + 0.5f;
    /* GroupNorm per item */
    float *gn = malloc((size_t)C * N * sizeof(float));
    memcpy(gn, x, (size_t)C * N * sizeof(float));
    seg_group_norm(gn, C, B, T, 4, g, be);
    for (int b = 0; b < B; b++) {
        float *xb = segment(x, C, B, T, b), *yb = segment(gn, C, B, T, b);
        float *ref = malloc((size_t)C * T * sizeof(float));
        nn_group_norm(xb, ref, C, T, 4, g, be, 1e-5f);
        assert_true(max_diff(yb, ref, (size_t)C * T) < 1e-5);
        free(xb), free(yb), free(ref);
    }
    /* LayerNorm over channels == nn_layer_norm on the transpose */
    float *ln = malloc((size_t)C * N * sizeof(float)), *xt = malloc((size_t)C * N * sizeof(float)),
          *rt = malloc((size_t)C * N * sizeof(float)), *ref = malloc((size_t)C * N * sizeof(float));
    seg_layer_norm(x, C, N, g, be, ln);
    nn_transpose(x, C, N, xt);
    nn_layer_norm(xt, rt, N, C, g, be, 1e-5f);
    nn_transpose(rt, N, C, ref);
    assert_true(max_diff(ln, ref, (size_t)C * N) < 1e-5);
    free(x), free(g), free(be), free(gn), free(ln), free(xt), free(rt), free(ref);
}

/* A small random flow in the tiny model's shape family (3 stages to cover
 * a middle level of the U-Net). */
static flow_config small_config(void) {
    flow_config c = {.input_size = 16, .output_size = 8, .spk_embed_dim = 12, .vocab_size = 50,
                     .input_frame_rate = 50, .lr_n_convs = 2, .lr_groups = 1,
                     .cfm = {.n_timesteps = 3, .cfg_rate = 0.7f, .cosine = 1},
                     .est = {.in_channels = 32, .out_channels = 8, .n_stages = 3,
                             .channels = {16, 16, 16}, .n_blocks = 1, .num_mid_blocks = 1,
                             .num_heads = 2, .head_dim = 8, .ff_mult = 4, .groups = 8}};
    c.encoder = rel_encoder_config_default(REL_ENC_CONFORMER);
    c.encoder.input_size = 16;
    c.encoder.output_size = 16;
    c.encoder.attention_heads = 2;
    c.encoder.linear_units = 32;
    c.encoder.num_blocks = 1;
    c.encoder.input_layer = REL_ENC_INPUT_LINEAR;
    return c;
}

static void test_estimator_batch_items_independent(void **st) {
    (void)st;
    flow_config cfg = small_config();
    pt_dict sd = {0};
    rw_rng rng = rw_rng_seed(11);
    cv_status s = random_flow_weights(&sd, &cfg, &rng);
    assert_int_equal(s.code, CV_OK);
    flow_model *m = NULL;
    s = flow_model_load(&sd, &cfg, &m);
    assert_int_equal(s.code, CV_OK);
    flow_estimator *e = flow_model_estimator(m);
    int M = 8, T = 21, B = 2;
    size_t n = (size_t)M * B * T;
    float *x = rand_vec(n), *mu = rand_vec(n), *cond = rand_vec(n), *spks = rand_vec(2 * M);
    float t[2] = {0.3f, 0.8f};
    float *out = malloc(n * sizeof(float));
    assert_int_equal(flow_estimator_forward(e, B, T, x, mu, t, spks, cond, NULL, out).code, CV_OK);
    /* each item alone gives the same numbers as inside the batch */
    for (int b = 0; b < B; b++) {
        float *xb = segment(x, M, B, T, b), *mb = segment(mu, M, B, T, b),
              *cb = segment(cond, M, B, T, b), *ob = segment(out, M, B, T, b);
        float *o1 = malloc((size_t)M * T * sizeof(float));
        assert_int_equal(
            flow_estimator_forward(e, 1, T, xb, mb, t + b, spks + b * M, cb, NULL, o1).code, CV_OK);
        assert_true(max_diff(o1, ob, (size_t)M * T) < 1e-4);
        free(xb), free(mb), free(cb), free(ob), free(o1);
    }
    /* the two items differ (t and inputs differ), so the check above has teeth */
    float *o0 = segment(out, M, B, T, 0), *o1 = segment(out, M, B, T, 1);
    assert_true(max_diff(o0, o1, (size_t)M * T) > 1e-3);
    /* masked frames come out zero; the output is not all zero */
    float *mask = malloc((size_t)B * T * sizeof(float));
    for (int i = 0; i < B * T; i++) mask[i] = (i % T) < T - 5 ? 1.0f : 0.0f;
    assert_int_equal(flow_estimator_forward(e, B, T, x, mu, t, spks, cond, mask, out).code, CV_OK);
    double live = 0.0;
    for (int c = 0; c < M; c++)
        for (int i = 0; i < B * T; i++) {
            float v = out[(size_t)c * B * T + i];
            if (mask[i] == 0.0f) assert_true(v == 0.0f);
            else live += fabs(v);
        }
    assert_true(live > 0.0);
    free(o0), free(o1), free(mask);
    free(x), free(mu), free(cond), free(spks), free(out);
    flow_model_free(m);
    pt_free(&sd);
}

/* Two threads give exactly the numbers of one; other attention piece sizes
 * (other GEMM shapes) agree to rounding. */
static void test_estimator_threads_agree(void **st) {
    (void)st;
    flow_config cfg = small_config();
    pt_dict sd = {0};
    rw_rng rng = rw_rng_seed(13);
    assert_int_equal(random_flow_weights(&sd, &cfg, &rng).code, CV_OK);
    int saved = nn_get_threads();
    flow_model *m1 = NULL, *m2 = NULL;
    nn_set_threads(1);
    assert_int_equal(flow_model_load(&sd, &cfg, &m1).code, CV_OK);
    nn_set_threads(2);
    assert_int_equal(flow_model_load(&sd, &cfg, &m2).code, CV_OK);
    int M = 8, T = 700, B = 2; /* long enough for several query-row blocks */
    size_t n = (size_t)M * B * T;
    float *x = rand_vec(n), *mu = rand_vec(n), *cond = rand_vec(n), *spks = rand_vec(2 * M);
    float t[2] = {0.1f, 0.6f};
    float *o1 = malloc(n * sizeof(float)), *o2 = malloc(n * sizeof(float));
    assert_int_equal(
        flow_estimator_forward(flow_model_estimator(m1), B, T, x, mu, t, spks, cond, NULL, o1).code,
        CV_OK);
    assert_int_equal(
        flow_estimator_forward(flow_model_estimator(m2), B, T, x, mu, t, spks, cond, NULL, o2).code,
        CV_OK);
    assert_true(max_diff(o1, o2, n) == 0.0);
    /* attention in one piece per head (rows = T) agrees with many pieces */
    flow_estimator_set_attention_rows(flow_model_estimator(m1), T);
    assert_int_equal(
        flow_estimator_forward(flow_model_estimator(m1), B, T, x, mu, t, spks, cond, NULL, o1).code,
        CV_OK);
    assert_true(max_diff(o1, o2, n) < 1e-5);
    flow_estimator_set_attention_rows(flow_model_estimator(m1), 7);
    assert_int_equal(
        flow_estimator_forward(flow_model_estimator(m1), B, T, x, mu, t, spks, cond, NULL, o1).code,
        CV_OK);
    assert_true(max_diff(o1, o2, n) < 1e-5);
    nn_set_threads(saved);
    free(x), free(mu), free(cond), free(spks), free(o1), free(o2);
    flow_model_free(m1);
    flow_model_free(m2);
    pt_free(&sd);
}

static void test_cache_in_and_out(void **st) {
    (void)st;
    int M = 3, T = 50, P = 7, L = 4;
    float *z = rand_vec((size_t)M * T), *mu = rand_vec((size_t)M * T), *cin = rand_vec((size_t)M * L * 2);
    float *cout = NULL;
    int olen = 0;
    assert_int_equal(flow_cfm_cache(z, mu, M, T, cin, L, P, &cout, &olen).code, CV_OK);
    assert_int_equal(olen, P + FLOW_CACHE_TAIL);
    for (int c = 0; c < M; c++) {
        for (int t = 0; t < L; t++) {
            assert_true(z[c * T + t] == cin[(c * L + t) * 2]);
            assert_true(mu[c * T + t] == cin[(c * L + t) * 2 + 1]);
        }
        for (int j = 0; j < olen; j++) {
            int t = j < P ? j : T - FLOW_CACHE_TAIL + (j - P);
            assert_true(cout[(c * olen + j) * 2] == z[c * T + t]);
            assert_true(cout[(c * olen + j) * 2 + 1] == mu[c * T + t]);
        }
    }
    free(cout);
    /* shorter than the tail: everything is kept once */
    assert_int_equal(flow_cfm_cache(z, mu, M, 20, NULL, 0, 0, &cout, &olen).code, CV_OK);
    assert_int_equal(olen, 20);
    free(cout);
    assert_int_not_equal(flow_cfm_cache(z, mu, M, T, cin, T + 1, 0, &cout, &olen).code, CV_OK);
    free(z), free(mu), free(cin);
}

static void test_config_from_yaml(void **st) {
    (void)st;
    yaml_config *y = NULL;
    assert_int_equal(yaml_config_load(GOLDEN "cosyvoice.yaml", &y).code, CV_OK);
    flow_config c;
    cv_status s = flow_config_from_yaml(y, &c);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(c.input_size, 32);
    assert_int_equal(c.output_size, 80);
    assert_int_equal(c.encoder.num_blocks, 2);
    assert_int_equal(c.lr_n_convs, 4);
    assert_int_equal(c.est.n_stages, 2);
    assert_int_equal(c.est.channels[1], 32);
    assert_int_equal(c.est.num_mid_blocks, 2);
    assert_int_equal(c.est.head_dim, 16);
    assert_true(c.cfm.cosine);
    assert_true(fabsf(c.cfm.cfg_rate - 0.7f) < 1e-6f);
    yaml_config_free(y);
    /* a decoder variant this implementation lacks is refused by name */
    const char *bad = "flow: !new:cosyvoice.flow.flow.MaskedDiffWithXvec\n"
                      "    input_size: 8\n    encoder: !new:x.ConformerEncoder\n"
                      "        input_size: 8\n        input_layer: linear\n"
                      "        pos_enc_layer_type: rel_pos_espnet\n"
                      "        use_cnn_module: False\n        macaron_style: False\n"
                      "    length_regulator: !new:x.InterpolateRegulator\n"
                      "        channels: 80\n        sampling_ratios: [1]\n"
                      "    decoder: !new:x.ConditionalCFM\n"
                      "        estimator: !new:x.ConditionalDecoder\n"
                      "            in_channels: 320\n            out_channels: 80\n"
                      "            channels: [32]\n            act_fn: snake\n";
    assert_int_equal(yaml_config_load_memory(bad, strlen(bad), "bad", &y).code, CV_OK);
    s = flow_config_from_yaml(y, &c);
    assert_int_equal(s.code, CV_UNIMPLEMENTED);
    assert_non_null(strstr(s.message, "act_fn"));
    yaml_config_free(y);
}

static void test_inference_checks_and_determinism(void **st) {
    (void)st;
    flow_config cfg = small_config();
    pt_dict sd = {0};
    rw_rng rng = rw_rng_seed(5);
    assert_int_equal(random_flow_weights(&sd, &cfg, &rng).code, CV_OK);
    flow_model *m = NULL;
    assert_int_equal(flow_model_load(&sd, &cfg, &m).code, CV_OK);
    int32_t tok[45], ptok[6];
    for (int i = 0; i < 45; i++) tok[i] = (i * 7) % 50;
    for (int i = 0; i < 6; i++) ptok[i] = (i * 3) % 50;
    float *feat = rand_vec(10 * 8), *emb = rand_vec(12);
    nn_noise *noise = nn_noise_det_new();
    flow_input in = {.tokens = tok, .n_tokens = 45, .prompt_tokens = ptok, .n_prompt_tokens = 6,
                     .prompt_feat = feat, .n_prompt_frames = 10, .embedding = emb};
    flow_output a = {0}, b = {0};
    assert_int_equal(flow_inference(m, &in, noise, &a).code, CV_OK);
    assert_int_equal(a.mel_frames, flow_mel_frames(&cfg, 45));
    assert_int_equal(a.mel_frames, (int)(45 / 50.0 * 22050 / 256));
    assert_int_equal(a.cache_frames, 10 + FLOW_CACHE_TAIL);
    assert_int_equal(flow_inference(m, &in, noise, &b).code, CV_OK);
    assert_true(max_diff(a.mel, b.mel, (size_t)8 * a.mel_frames) == 0.0);
    flow_output_free(&b);
    /* feeding the cache back leaves the prompt part of z/mu as it was, so
     * the result is unchanged when the same noise is drawn */
    in.cache = a.cache;
    in.cache_frames = 10;
    float *cache10 = malloc((size_t)8 * 10 * 2 * sizeof(float));
    for (int c = 0; c < 8; c++)
        memcpy(cache10 + (size_t)c * 20, a.cache + (size_t)c * a.cache_frames * 2, 20 * sizeof(float));
    in.cache = cache10;
    assert_int_equal(flow_inference(m, &in, noise, &b).code, CV_OK);
    assert_true(max_diff(a.mel, b.mel, (size_t)8 * a.mel_frames) < 1e-6);
    flow_output_free(&b);
    /* a different speaker changes the mel */
    emb[0] += 1.0f;
    in.cache = NULL;
    in.cache_frames = 0;
    assert_int_equal(flow_inference(m, &in, noise, &b).code, CV_OK);
    assert_true(max_diff(a.mel, b.mel, (size_t)8 * a.mel_frames) > 1e-4);
    flow_output_free(&b);
    /* no prompt, and a short chunk (<= 40 tokens: stretched in one piece) */
    in.n_prompt_tokens = 0;
    in.n_prompt_frames = 0;
    in.n_tokens = 30;
    assert_int_equal(flow_inference(m, &in, noise, &b).code, CV_OK);
    assert_int_equal(b.mel_frames, (int)(30 / 50.0 * 22050 / 256));
    assert_int_equal(b.cache_frames, FLOW_CACHE_TAIL);
    double energy = 0.0;
    for (size_t i = 0; i < (size_t)8 * b.mel_frames; i++) {
        assert_false(isnan(b.mel[i]));
        energy += fabs(b.mel[i]);
    }
    assert_true(energy > 0.0);
    flow_output_free(&b);
    in.n_prompt_tokens = 6;
    in.n_prompt_frames = 10;
    in.n_tokens = 45;
    /* bad inputs */
    tok[3] = 50;
    assert_int_equal(flow_inference(m, &in, noise, &b).code, CV_INVALID_ARGUMENT);
    tok[3] = 1;
    in.n_tokens = 0;
    assert_int_equal(flow_inference(m, &in, noise, &b).code, CV_INVALID_ARGUMENT);
    in.n_tokens = 45;
    in.n_prompt_frames = 0;
    assert_int_equal(flow_inference(m, &in, noise, &b).code, CV_INVALID_ARGUMENT);
    free(cache10);
    flow_output_free(&a);
    nn_noise_free(noise);
    free(feat), free(emb);
    flow_model_free(m);
    pt_free(&sd);
}

static void test_golden_weights_load(void **st) {
    (void)st;
    yaml_config *y = NULL;
    flow_config c;
    pt_dict sd = {0};
    flow_model *m = NULL;
    assert_int_equal(yaml_config_load(GOLDEN "cosyvoice.yaml", &y).code, CV_OK);
    assert_int_equal(flow_config_from_yaml(y, &c).code, CV_OK);
    assert_int_equal(pt_load(GOLDEN "flow.pt", &sd).code, CV_OK);
    assert_int_equal(flow_model_load(&sd, &c, &m).code, CV_OK);
    flow_model_free(m);
    /* a wrong size in the config is caught by the weight shapes */
    c.est.num_heads = 4;
    assert_int_not_equal(flow_model_load(&sd, &c, &m).code, CV_OK);
    assert_null(m);
    pt_free(&sd);
    yaml_config_free(y);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seg_conv_matches_nn),
        cmocka_unit_test(test_seg_conv_transpose_matches_nn),
        cmocka_unit_test(test_seg_norms_match_nn),
        cmocka_unit_test(test_estimator_batch_items_independent),
        cmocka_unit_test(test_estimator_threads_agree),
        cmocka_unit_test(test_cache_in_and_out),
        cmocka_unit_test(test_config_from_yaml),
        cmocka_unit_test(test_inference_checks_and_determinism),
        cmocka_unit_test(test_golden_weights_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
