/* Unit tests for the HTTP door's pure parsing: the OpenAI speech JSON body
 * (speech_json.c), the reference routes' form fields (form_fields.c), and
 * base64 encoding (SSE audio). Tables of inputs and what must come out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/base64.h"
#include "http/form_fields.h"
#include "http/speech_json.h"

static void test_speech_json_valid(void **state)
{
    (void)state;
    static const char body[] =
        "{\"model\":\"tts-1\",\"input\":\"Hello.\",\"voice\":\"alloy\",\"speed\":1.5,"
        "\"response_format\":\"wav\",\"stream_format\":\"sse\",\"instructions\":\"Softly.\","
        "\"unknown\":{\"nested\":[1,2]}}";
    speech_params p;
    char param[32];
    assert_int_equal(speech_json_parse(body, strlen(body), &p, param).code, CV_OK);
    assert_string_equal(p.model, "tts-1");
    assert_string_equal(p.input, "Hello.");
    assert_string_equal(p.voice, "alloy");
    assert_string_equal(p.instructions, "Softly.");
    assert_string_equal(p.response_format, "wav");
    assert_true(p.sse);
    assert_true(p.speed == 1.5);
    speech_params_free(&p);

    static const char minimal[] = "{\"input\":\"Hi\",\"voice\":{\"id\":\"中文女\"},\"instructions\":\"\"}";
    assert_int_equal(speech_json_parse(minimal, strlen(minimal), &p, param).code, CV_OK);
    assert_string_equal(p.voice, "中文女");
    assert_string_equal(p.response_format, "mp3"); /* OpenAI's default */
    assert_null(p.instructions);                   /* empty: no instruct mode */
    assert_null(p.model);
    assert_false(p.sse);
    assert_true(p.speed == 1.0);
    speech_params_free(&p);
}

static void test_speech_json_errors(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *param; /* "" for the body itself */
        const char *words;
    } cases[] = {
        {"", "", "not valid JSON"},
        {"{", "", "line 1"},
        {"[]", "", "JSON object"},
        {"\"text\"", "", "JSON object"},
        {"{\"input\":1,\"voice\":\"a\"}", "input", "string"},
        {"{\"input\":\"x\",\"voice\":2}", "voice", "string"},
        {"{\"input\":\"x\",\"voice\":{\"id\":3}}", "voice", "string"},
        {"{\"input\":\"x\",\"voice\":{}}", "voice", "required"},
        {"{\"input\":\"x\"}", "voice", "required"},
        {"{\"input\":\"x\",\"voice\":\"\"}", "voice", "required"},
        {"{\"voice\":\"a\"}", "input", "required"},
        {"{\"input\":\"x\",\"voice\":\"a\",\"speed\":\"fast\"}", "speed", "number"},
        {"{\"input\":\"x\",\"voice\":\"a\",\"speed\":0.2}", "speed", "between"},
        {"{\"input\":\"x\",\"voice\":\"a\",\"speed\":4.01}", "speed", "between"},
        {"{\"input\":\"x\",\"voice\":\"a\",\"stream_format\":\"chunks\"}", "stream_format", "sse"},
        {"{\"input\":\"x\",\"voice\":\"a\",\"response_format\":7}", "response_format", "string"},
        {"{\"input\":\"a\\u0000b\",\"voice\":\"a\"}", "input", "NUL"},
        {"{\"input\":\"x\",\"input\":\"y\",\"voice\":\"a\"}", "", "duplicate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        speech_params p;
        char param[32];
        cv_status st = speech_json_parse(cases[i].body, strlen(cases[i].body), &p, param);
        if (st.code != CV_INVALID_ARGUMENT || strcmp(param, cases[i].param) != 0 ||
            !strstr(st.message, cases[i].words))
            fail_msg("case %zu (%s): code %d param '%s' message '%s'", i, cases[i].body,
                     st.code, param, st.message);
        assert_null(p.input); /* nothing left to free on error */
    }
}

static void test_form_fields(void **state)
{
    (void)state;
    form_fields f = {0};
    assert_true(form_fields_add(&f, "tts_text", "Hel", 0, 3));
    assert_true(form_fields_add(&f, "tts_text", "lo", 3, 2)); /* continued */
    assert_string_equal(f.value[FORM_TTS_TEXT], "Hello");
    assert_true(form_fields_add(&f, "tts_text", "Bye", 0, 3)); /* sent again: replaced */
    assert_string_equal(f.value[FORM_TTS_TEXT], "Bye");
    assert_true(form_fields_add(&f, "not_ours", "x", 0, 1)); /* ignored */
    assert_true(form_fields_add(&f, "spk_id", "a\0b", 0, 3));
    assert_int_equal(f.len[FORM_SPK_ID], 3);
    assert_false(form_field_is_text(&f, FORM_SPK_ID)); /* a NUL is kept, not cut */
    assert_true(form_field_is_text(&f, FORM_TTS_TEXT));
    assert_false(form_field_is_text(&f, FORM_PROMPT_TEXT)); /* absent */
    static char big[100000];
    memset(big, 'x', sizeof big);
    for (size_t off = 0; off < sizeof big; off += 1000)
        assert_true(form_fields_add(&f, "prompt_wav", big + off, off, 1000));
    assert_int_equal(f.len[FORM_PROMPT_WAV], sizeof big);
    assert_true(form_fields_add(&f, "prompt_text", "", 0, 0));
    assert_string_equal(f.value[FORM_PROMPT_TEXT], ""); /* present and empty */
    assert_int_equal(form_field_find("instruct_text"), FORM_INSTRUCT_TEXT);
    assert_int_equal(form_field_find("Tts_text"), -1);
    form_fields_free(&f);
    assert_null(f.value[FORM_TTS_TEXT]);
}

static void test_base64_encode(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                 {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].in);
        char out[16];
        assert_int_equal(cv_base64_encoded_len(n), strlen(cases[i].out));
        cv_base64_encode((const uint8_t *)cases[i].in, n, out);
        assert_string_equal(out, cases[i].out);
    }
    /* Every byte value round-trips through the project's decoder. */
    uint8_t all[256], back[260];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    char text[cv_base64_encoded_len(256) + 1];
    cv_base64_encode(all, 256, text);
    size_t n;
    assert_true(cv_base64_decode(text, strlen(text), back, &n));
    assert_int_equal(n, 256);
    assert_memory_equal(back, all, 256);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speech_json_valid), cmocka_unit_test(test_speech_json_errors),
        cmocka_unit_test(test_form_fields),       cmocka_unit_test(test_base64_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
