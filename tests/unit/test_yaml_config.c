/* Unit tests for the cosyvoice.yaml reader: the golden tiny model's file
 * and small documents exercising !ref resolution, tags, paths and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/io/yaml_config.h"

static yaml_config *load_text(const char *text)
{
    yaml_config *c = NULL;
    cv_status s = yaml_config_load_memory(text, strlen(text), "test.yaml", &c);
    if (!cv_is_ok(&s)) fail_msg("%s", s.message);
    return c;
}

static cv_status load_error(const char *text)
{
    yaml_config *c = NULL;
    cv_status s = yaml_config_load_memory(text, strlen(text), "bad.yaml", &c);
    assert_null(c);
    assert_int_not_equal(s.code, CV_OK);
    assert_non_null(strstr(s.message, "bad.yaml: "));
    return s;
}

static void test_golden(void **state)
{
    (void)state;
    const char *root = getenv("CV_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/golden/cosyvoice-v1-tiny/cosyvoice.yaml", root ? root : ".");
    yaml_config *c = NULL;
    cv_status s = yaml_config_load(path, &c);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(yaml_config_len(c, "flow.decoder.estimator.channels"), 2);
    assert_int_equal(yaml_config_int(c, "flow.decoder.estimator.channels.0", -1), 32);
    assert_int_equal(yaml_config_int(c, "flow.decoder.estimator.channels.1", -1), 32);
    assert_int_equal(yaml_config_int(c, "hift.istft_params.n_fft", -1), 16);
    assert_int_equal(yaml_config_int(c, "hift.istft_params.hop_len", -1), 4);
    assert_int_equal(yaml_config_int(c, "llm.text_encoder.num_blocks", -1), 2);
    assert_int_equal(yaml_config_int(c, "sample_rate", -1), 22050);
    assert_int_equal(yaml_config_int(c, "hift.sampling_rate", -1), 22050);          /* !ref <sample_rate> */
    assert_int_equal(yaml_config_int(c, "feat_extractor.sampling_rate", -1), 22050);
    assert_int_equal(yaml_config_int(c, "llm.text_encoder.input_size", -1), 16);    /* !ref <text_encoder_input_size> */
    assert_float_equal(yaml_config_float(c, "flow.decoder.cfm_params.content.inference_cfg_rate", -1), 0.7, 1e-12);
    assert_float_equal(yaml_config_float(c, "flow.decoder.cfm_params.content.sigma_min", -1), 1e-6, 1e-18);
    assert_int_equal(yaml_config_int(c, "hift.resblock_dilation_sizes.1.2", -1), 5);
    assert_int_equal(yaml_config_len(c, "hift.resblock_dilation_sizes"), 3);
    assert_string_equal(yaml_config_str(c, "flow.decoder.cfm_params.content.solver", ""), "euler");
    assert_string_equal(yaml_config_str(c, "llm.text_encoder.pos_enc_layer_type", ""), "rel_pos_espnet");
    assert_true(yaml_config_bool(c, "llm.text_encoder.normalize_before", false));
    assert_false(yaml_config_bool(c, "llm.text_encoder.use_cnn_module", true));
    assert_string_equal(yaml_config_tag(c, "flow"), "cosyvoice.flow.flow.MaskedDiffWithXvec");
    assert_string_equal(yaml_config_tag_kind(c, "flow"), "new");
    assert_string_equal(yaml_config_tag(c, "hift.f0_predictor"), "cosyvoice.hifigan.f0_predictor.ConvRNNF0Predictor");
    assert_string_equal(yaml_config_tag(c, "llm.sampling"), "cosyvoice.utils.common.ras_sampling");
    assert_string_equal(yaml_config_tag_kind(c, "llm.sampling"), "name");
    assert_string_equal(yaml_config_tag_kind(c, "__set_seed1"), "apply");
    assert_null(yaml_config_tag(c, "sample_rate"));
    assert_null(yaml_config_tag(c, "hift.sampling_rate"));
    /* missing paths give the default */
    assert_false(yaml_config_has(c, "flow.nope"));
    assert_int_equal(yaml_config_int(c, "flow.decoder.estimator.channels.2", -7), -7);
    assert_int_equal(yaml_config_int(c, "flow.output_type", -7), -7); /* not a number */
    assert_string_equal(yaml_config_str(c, "flow.decoder", "dflt"), "dflt"); /* not a scalar */
    assert_int_equal(yaml_config_len(c, "sample_rate"), 0);
    assert_string_equal(yaml_config_key(c, "hift.istft_params", 1), "hop_len");
    assert_null(yaml_config_key(c, "hift.istft_params", 2));
    yaml_config_free(c);
}

static void test_refs(void **state)
{
    (void)state;
    yaml_config *c = load_text("a: 5\n"
                               "dir: /models\n"
                               "b: !ref <a>\n"
                               "c: !ref <b>\n"                 /* chain */
                               "m: {x: [1, 2, {y: 3}]}\n"
                               "d: !ref <m.x>\n"               /* ref to a sequence */
                               "e: !ref <m[x]>\n"              /* hyperpyyaml's bracket form */
                               "f: !ref <dir>/llm-<a>.pt\n"    /* interpolation */
                               "g:\n  h: !ref <d>\n");
    assert_int_equal(yaml_config_int(c, "b", 0), 5);
    assert_int_equal(yaml_config_int(c, "c", 0), 5);
    assert_int_equal(yaml_config_len(c, "d"), 3);
    assert_int_equal(yaml_config_int(c, "d.2.y", 0), 3);
    assert_int_equal(yaml_config_int(c, "e.1", 0), 2);
    assert_string_equal(yaml_config_str(c, "f", ""), "/models/llm-5.pt");
    assert_int_equal(yaml_config_int(c, "g.h.0", 0), 1);
    assert_true(yaml_config_has(c, ""));
    yaml_config_free(c);
}

static void test_numbers(void **state)
{
    (void)state;
    yaml_config *c = load_text("i: -12\nf: 1e-06\ng: 2.5\nh: 0x10\nn: nan\ns: 12abc\nt: True\nu: off\n");
    assert_int_equal(yaml_config_int(c, "i", 0), -12);
    assert_float_equal(yaml_config_float(c, "i", 0), -12.0, 0);
    assert_float_equal(yaml_config_float(c, "f", 0), 1e-6, 1e-20);
    assert_int_equal(yaml_config_int(c, "g", 99), 99);
    assert_float_equal(yaml_config_float(c, "h", 99), 99, 0);
    assert_float_equal(yaml_config_float(c, "n", 99), 99, 0);
    assert_int_equal(yaml_config_int(c, "s", 99), 99);
    assert_true(yaml_config_bool(c, "t", false));
    assert_false(yaml_config_bool(c, "u", true));
    assert_true(yaml_config_bool(c, "i", true)); /* not a bool: default */
    yaml_config_free(c);

    /* nulls, as Python reads them (CosyVoice3's `fmax: null`), but not the
     * quoted string "null", a missing key or a number */
    c = load_text("a: null\nb: ~\nc:\nd: 'null'\ne: 8000\nf: Null\n");
    assert_true(yaml_config_is_null(c, "a"));
    assert_true(yaml_config_is_null(c, "b"));
    assert_true(yaml_config_is_null(c, "c"));
    assert_true(yaml_config_is_null(c, "f"));
    assert_false(yaml_config_is_null(c, "d"));
    assert_false(yaml_config_is_null(c, "e"));
    assert_false(yaml_config_is_null(c, "missing"));
    yaml_config_free(c);
}

static void test_errors(void **state)
{
    (void)state;
    cv_status s = load_error("a: 1\nb: [1, 2\nc: 3\n");
    assert_non_null(strstr(s.message, "line "));
    s = load_error("a: 1\nb: !ref <nope>\n");
    assert_non_null(strstr(s.message, "line 2: !ref nope: no such key"));
    s = load_error("a: !ref <b>\nb: !ref <a>\n");
    assert_non_null(strstr(s.message, "is part of a reference cycle"));
    s = load_error("a: !ref <a>\n");
    assert_non_null(strstr(s.message, "is part of a reference cycle"));
    s = load_error("a: !ref plain\n");
    assert_non_null(strstr(s.message, "expected <key>"));
    s = load_error("m: {x: 1}\na: !ref <m>/x\n");
    assert_non_null(strstr(s.message, "not a scalar"));
    /* each level quadruples the text: refused once it passes the cap */
    char big[1024];
    size_t o = (size_t)snprintf(big, sizeof big, "k0: xxxxxxxxxxxxxxxx\n");
    for (int k = 1; k <= 12; k++)
        o += (size_t)snprintf(big + o, sizeof big - o, "k%d: !ref <k%d><k%d><k%d><k%d>\n", k, k - 1, k - 1, k - 1, k - 1);
    s = load_error(big);
    assert_non_null(strstr(s.message, "interpolated text too long"));
    s = load_error("- 1\n- 2\n");
    assert_non_null(strstr(s.message, "not a mapping"));
    s = load_error("");
    assert_non_null(strstr(s.message, "not a mapping"));
    yaml_config *c = NULL;
    s = yaml_config_load("/nonexistent/cosyvoice.yaml", &c);
    assert_int_equal(s.code, CV_NOT_FOUND);
    assert_non_null(strstr(s.message, "/nonexistent/cosyvoice.yaml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
