/* Reading the encoders' and the LM's hyper-parameters from cosyvoice.yaml. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model/v1/llm_yaml.h"
#include "model/blocks/rel_encoder_yaml.h"

#define GOLDEN_YAML "tests/data/golden/cosyvoice-v1-tiny/cosyvoice.yaml"

static void test_golden_yaml(void **state)
{
    (void)state;
    yaml_config *y = NULL;
    cv_status s = yaml_config_load(GOLDEN_YAML, &y);
    assert_int_equal(s.code, CV_OK);
    llm_config c;
    s = llm_config_from_yaml(y, &c);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(c.text_encoder_input_size, 16);
    assert_int_equal(c.llm_input_size, 64);
    assert_int_equal(c.text_token_size, 51866);
    assert_int_equal(c.speech_token_size, 4096);
    assert_int_equal(c.text_encoder.kind, REL_ENC_CONFORMER);
    assert_int_equal(c.text_encoder.input_size, 16);
    assert_int_equal(c.text_encoder.output_size, 64);
    assert_int_equal(c.text_encoder.activation, REL_ENC_ACT_SWISH); /* class default */
    assert_int_equal(c.text_encoder.input_layer, REL_ENC_INPUT_LINEAR);
    assert_int_equal(c.text_encoder.static_chunk_size, 1);
    assert_int_equal(c.llm.kind, REL_ENC_TRANSFORMER);
    assert_int_equal(c.llm.activation, REL_ENC_ACT_RELU);
    assert_int_equal(c.llm.input_layer, REL_ENC_INPUT_LINEAR_LEGACY);
    assert_int_equal(c.llm.num_blocks, 2);
    assert_int_equal(c.sampling.top_k, 25);
    assert_int_equal(c.sampling.win_size, 10);
    assert_true(c.sampling.top_p > 0.79f && c.sampling.top_p < 0.81f);

    rel_encoder_config f;
    s = rel_encoder_config_from_yaml(y, "flow.encoder", &f);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(f.kind, REL_ENC_CONFORMER);
    assert_int_equal(f.input_size, 32);
    assert_int_equal(f.output_size, 32);
    assert_int_equal(f.attention_heads, 2);
    assert_int_equal(f.static_chunk_size, 0);
    yaml_config_free(y);
}

static void test_refuses_unsupported(void **state)
{
    (void)state;
    /* ConformerEncoder defaults to a convolution module and macaron style */
    static const char *text =
        "enc: !new:cosyvoice.transformer.encoder.ConformerEncoder\n"
        "    input_size: 8\n"
        "    input_layer: 'linear'\n"
        "    pos_enc_layer_type: 'rel_pos_espnet'\n";
    yaml_config *y = NULL;
    assert_int_equal(yaml_config_load_memory(text, strlen(text), "t", &y).code, CV_OK);
    rel_encoder_config c;
    assert_int_equal(rel_encoder_config_from_yaml(y, "enc", &c).code, CV_UNIMPLEMENTED);
    yaml_config_free(y);

    static const char *text2 =
        "enc: !new:cosyvoice.transformer.encoder.TransformerEncoder\n"
        "    input_size: 8\n"
        "    input_layer: 'linear'\n";
    assert_int_equal(yaml_config_load_memory(text2, strlen(text2), "t", &y).code, CV_OK);
    /* abs_pos by default: not the relative encoder */
    assert_int_equal(rel_encoder_config_from_yaml(y, "enc", &c).code, CV_UNIMPLEMENTED);
    yaml_config_free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_yaml),
        cmocka_unit_test(test_refuses_unsupported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
