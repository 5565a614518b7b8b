/* Unit tests for engine-independent request validation and the wire codec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/validate.h"
#include "wire/request_codec.h"

static const tts_limits LIM = {TTS_DEFAULT_MAX_TEXT, TTS_DEFAULT_MAX_PROMPT_SECONDS};

static tts_request base(tts_mode m)
{
    tts_request r = {.mode = m, .tts_text = "你好。Hello.", .spk_id = "中文女",
                     .prompt_text = "", .instruct_text = "", .speed = 1.0f,
                     .stream = true, .request_id = ""};
    return r;
}

static void test_sft_ok(void **state)
{
    (void)state;
    tts_request r = base(TTS_MODE_SFT);
    cv_status s = tts_request_validate(&r, &LIM);
    assert_int_equal(s.code, CV_OK);
}

static void test_no_payload(void **state)
{
    (void)state;
    tts_request r = base(TTS_MODE_COUNT);
    cv_status s = tts_request_validate(&r, &LIM);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "no payload"));
}

static void test_blank_text(void **state)
{
    (void)state;
    const char *blanks[] = {"", "   ", "\t\n", "\xe3\x80\x80"};
    for (size_t i = 0; i < 4; i++) {
        tts_request r = base(TTS_MODE_SFT);
        r.tts_text = blanks[i];
        cv_status s = tts_request_validate(&r, &LIM);
        assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    }
}

static void test_bad_utf8(void **state)
{
    (void)state;
    const char *bad[] = {"\xff", "ab\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80"};
    for (size_t i = 0; i < 5; i++) {
        tts_request r = base(TTS_MODE_SFT);
        r.tts_text = bad[i];
        cv_status s = tts_request_validate(&r, &LIM);
        assert_int_equal(s.code, CV_INVALID_ARGUMENT);
        assert_non_null(strstr(s.message, "UTF-8"));
    }
}

static void test_text_limit(void **state)
{
    (void)state;
    tts_limits lim = {5, 30};
    tts_request r = base(TTS_MODE_SFT);
    r.tts_text = "你好你好你";
    assert_int_equal(tts_request_validate(&r, &lim).code, CV_OK);
    r.tts_text = "你好你好你好";
    cv_status s = tts_request_validate(&r, &lim);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "--max-text"));
}

static void test_prompt_rules(void **state)
{
    (void)state;
    size_t n = 16000;
    int16_t *pcm = calloc(n * 40, sizeof *pcm);
    tts_request r = base(TTS_MODE_ZERO_SHOT);
    r.prompt_text = "prompt words";
    /* missing */
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_INVALID_ARGUMENT);
    /* silent */
    r.prompt_pcm = pcm;
    r.prompt_samples = n;
    cv_status s = tts_request_validate(&r, &LIM);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "silent"));
    for (size_t i = 0; i < n * 40; i++) pcm[i] = (int16_t)((i % 50) * 200 - 5000);
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_OK);
    /* too short */
    r.prompt_samples = 7999;
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_INVALID_ARGUMENT);
    /* too long */
    r.prompt_samples = n * 31;
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_INVALID_ARGUMENT);
    /* zero_shot without transcript */
    r.prompt_samples = n;
    r.prompt_text = " ";
    s = tts_request_validate(&r, &LIM);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "prompt_text"));
    /* cross_lingual needs no transcript */
    r.mode = TTS_MODE_CROSS_LINGUAL;
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_OK);
    free(pcm);
}

static void test_codec_roundtrip(void **state)
{
    (void)state;
    int16_t pcm[8000];
    for (int i = 0; i < 8000; i++) pcm[i] = (int16_t)(i * 7 - 28000);
    tts_request r = base(TTS_MODE_ZERO_SHOT);
    r.prompt_text = "transcript";
    r.prompt_pcm = pcm;
    r.prompt_samples = 8000;
    r.stream = false;
    r.speed = 1.5f;
    size_t len;
    uint8_t *buf = wire_request_encode(&r, &len);
    assert_non_null(buf);
    wire_request w;
    cv_status s = wire_request_decode(buf, len, &w);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(w.req.mode, TTS_MODE_ZERO_SHOT);
    assert_string_equal(w.req.tts_text, r.tts_text);
    assert_string_equal(w.req.prompt_text, "transcript");
    assert_int_equal(w.req.prompt_samples, 8000);
    assert_memory_equal(w.req.prompt_pcm, pcm, sizeof pcm);
    assert_false(w.req.stream);
    assert_true(w.req.speed == 1.5f);
    wire_request_free(&w);
    free(buf);
}

static void test_codec_odd_bytes_and_garbage(void **state)
{
    (void)state;
    /* field 2 (zero_shot_request), containing field 3 (prompt_audio) of 3 bytes */
    const uint8_t odd[] = {0x12, 0x05, 0x1a, 0x03, 1, 2, 3};
    wire_request w;
    cv_status s = wire_request_decode(odd, sizeof odd, &w);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "odd"));
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    s = wire_request_decode(junk, sizeof junk, &w);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    /* empty message decodes to "no payload" */
    s = wire_request_decode((const uint8_t *)"", 0, &w);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(w.req.mode, TTS_MODE_COUNT);
    assert_true(w.req.stream);
    wire_request_free(&w);
}

static void test_response_roundtrip(void **state)
{
    (void)state;
    int16_t pcm[100];
    for (int i = 0; i < 100; i++) pcm[i] = (int16_t)(i * 300 - 15000);
    size_t len;
    uint8_t *buf = wire_response_encode(pcm, 100, 22050, 3, &len);
    uint8_t *audio;
    size_t alen;
    uint32_t sr, idx;
    cv_status s = wire_response_decode(buf, len, &audio, &alen, &sr, &idx);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(alen, 200);
    assert_int_equal(sr, 22050);
    assert_int_equal(idx, 3);
    assert_int_equal(audio[0], (uint8_t)(pcm[0] & 0xff));
    assert_int_equal(audio[1], (uint8_t)((uint16_t)pcm[0] >> 8));
    free(audio);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sft_ok),
        cmocka_unit_test(test_no_payload),
        cmocka_unit_test(test_blank_text),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_text_limit),
        cmocka_unit_test(test_prompt_rules),
        cmocka_unit_test(test_codec_roundtrip),
        cmocka_unit_test(test_codec_odd_bytes_and_garbage),
        cmocka_unit_test(test_response_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
