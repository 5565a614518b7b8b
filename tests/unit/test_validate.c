/* Unit tests for engine-independent request validation and the wire codec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <math.h>

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

/* instructRequest.prompt_audio (instruct2 with a recording): spk_id or
 * prompt_audio, not both, not neither; the recording is checked like a
 * zero-shot prompt and survives the wire. */
static void test_instruct_prompt_audio(void **state)
{
    (void)state;
    int16_t pcm[8000];
    for (int i = 0; i < 8000; i++) pcm[i] = (int16_t)(i * 3 - 12000);
    tts_request r = base(TTS_MODE_INSTRUCT);
    r.instruct_text = "Speak slowly.";
    r.prompt_pcm = pcm;
    r.prompt_samples = 8000;
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_INVALID_ARGUMENT); /* both */
    r.spk_id = "";
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_OK);
    r.prompt_samples = 10; /* far too short: the zero-shot prompt rule */
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_INVALID_ARGUMENT);
    r.prompt_samples = 0;
    r.prompt_pcm = NULL;
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_INVALID_ARGUMENT); /* neither */
    r.prompt_pcm = pcm;
    r.prompt_samples = 8000;
    size_t len;
    uint8_t *buf = wire_request_encode(&r, &len);
    assert_non_null(buf);
    wire_request w;
    assert_int_equal(wire_request_decode(buf, len, &w).code, CV_OK);
    assert_int_equal(w.req.mode, TTS_MODE_INSTRUCT);
    assert_string_equal(w.req.instruct_text, "Speak slowly.");
    assert_int_equal(w.req.prompt_samples, 8000);
    assert_memory_equal(w.req.prompt_pcm, pcm, sizeof pcm);
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

static void test_speed_range(void **state)
{
    (void)state;
    const float ok[] = {0.25f, 1.0f, 2.5f, 4.0f};
    for (size_t i = 0; i < 4; i++) {
        tts_request r = base(TTS_MODE_SFT);
        r.speed = ok[i];
        assert_int_equal(tts_request_validate(&r, &LIM).code, CV_OK);
    }
    const float bad[] = {0.2499f, 4.001f, -1.0f, 0.001f, 100.0f, INFINITY, NAN};
    for (size_t i = 0; i < 7; i++) {
        tts_request r = base(TTS_MODE_SFT);
        r.speed = bad[i];
        cv_status s = tts_request_validate(&r, &LIM);
        assert_int_equal(s.code, CV_INVALID_ARGUMENT);
        assert_non_null(strstr(s.message, "0.25 to 4"));
    }
}

static void test_speed_on_the_wire(void **state)
{
    (void)state;
    /* speed (field 16, fixed32) = -2.0 with an sft payload: kept, refused later */
    tts_request r = base(TTS_MODE_SFT);
    r.speed = -2.0f;
    size_t len;
    uint8_t *buf = wire_request_encode(&r, &len);
    wire_request w;
    assert_int_equal(wire_request_decode(buf, len, &w).code, CV_OK);
    assert_true(w.req.speed == -2.0f);
    assert_int_equal(tts_request_validate(&w.req, &LIM).code, CV_INVALID_ARGUMENT);
    wire_request_free(&w);
    free(buf);
    /* unset means 1 */
    r.speed = 1.0f;
    buf = wire_request_encode(&r, &len);
    assert_int_equal(wire_request_decode(buf, len, &w).code, CV_OK);
    assert_true(w.req.speed == 1.0f);
    wire_request_free(&w);
    free(buf);
}

static void test_prompt_and_instruct_text_limits(void **state)
{
    (void)state;
    char *t = malloc(TTS_MAX_PROMPT_TEXT * 3 + 4);
    t[0] = '\0';
    for (int i = 0; i < TTS_MAX_PROMPT_TEXT; i++) strcat(t, "\xe5\xa5\xbd"); /* 好 */
    int16_t *pcm = malloc(16000 * sizeof *pcm);
    for (int i = 0; i < 16000; i++) pcm[i] = (int16_t)(i % 200 * 50);
    tts_request r = base(TTS_MODE_ZERO_SHOT);
    r.prompt_pcm = pcm;
    r.prompt_samples = 16000;
    r.prompt_text = t;
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_OK); /* exactly the limit */
    strcat(t, "x");
    cv_status s = tts_request_validate(&r, &LIM);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "prompt_text has 1001 characters"));
    r = base(TTS_MODE_INSTRUCT);
    t[TTS_MAX_INSTRUCT_TEXT * 3] = '\0';
    r.instruct_text = t;
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_OK);
    strcat(t, "x");
    s = tts_request_validate(&r, &LIM);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "instruct_text has 501 characters"));
    free(t);
    free(pcm);
}

static void test_prompt_length_messages_agree(void **state)
{
    (void)state;
    /* Just under the minimum and just over the limit: the numbers printed
     * must show why (they read "0.50 s; at least 0.5 s" before). */
    int16_t *pcm = malloc(480001 * sizeof *pcm);
    for (int i = 0; i < 480001; i++) pcm[i] = (int16_t)(i % 200 * 50);
    tts_request r = base(TTS_MODE_CROSS_LINGUAL);
    r.prompt_pcm = pcm;
    r.prompt_samples = 7999;
    cv_status s = tts_request_validate(&r, &LIM);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "7999 samples (0.4999 s)"));
    assert_non_null(strstr(s.message, "at least 8000 samples (0.5 s)"));
    r.prompt_samples = 8000;
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_OK);
    r.prompt_samples = 480000;
    assert_int_equal(tts_request_validate(&r, &LIM).code, CV_OK);
    r.prompt_samples = 480001;
    s = tts_request_validate(&r, &LIM);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "480001 samples (30.0001 s)"));
    assert_non_null(strstr(s.message, "the limit is 480000 samples (30 s"));
    free(pcm);
}

/* Request{sft_request{spk_id=spk, tts_text=text}} by hand: protobuf
 * encoders never refuse a NUL inside a string. */
static size_t sft_bytes(const char *spk, size_t ns, const char *text, size_t nt, uint8_t *out)
{
    size_t inner = 2 + ns + 2 + nt, k = 0;
    out[k++] = 0x0a;
    out[k++] = (uint8_t)inner;
    out[k++] = 0x0a;
    out[k++] = (uint8_t)ns;
    memcpy(out + k, spk, ns);
    k += ns;
    out[k++] = 0x12;
    out[k++] = (uint8_t)nt;
    memcpy(out + k, text, nt);
    return k + nt;
}

static void test_nul_bytes_refused(void **state)
{
    (void)state;
    uint8_t buf[128];
    wire_request w;
    size_t n = sft_bytes("tone-low", 8, "Hello\0world", 11, buf);
    cv_status s = wire_request_decode(buf, n, &w);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "tts_text contains a NUL byte (at byte 5 of 11)"));
    n = sft_bytes("\xe4\xb8\xad\xe6\x96\x87\xe5\xa5\xb3\0junk", 14, "Hi.", 3, buf);
    s = wire_request_decode(buf, n, &w);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "spk_id contains a NUL byte"));
    /* a trailing NUL is still a NUL */
    n = sft_bytes("tone-low", 8, "Hi.\0", 4, buf);
    assert_int_equal(wire_request_decode(buf, n, &w).code, CV_INVALID_ARGUMENT);
    /* the same request without it decodes; an empty string too */
    n = sft_bytes("tone-low", 8, "Hello world", 11, buf);
    assert_int_equal(wire_request_decode(buf, n, &w).code, CV_OK);
    assert_string_equal(w.req.tts_text, "Hello world");
    wire_request_free(&w);
    n = sft_bytes("tone-low", 8, "", 0, buf);
    assert_int_equal(wire_request_decode(buf, n, &w).code, CV_OK);
    assert_string_equal(w.req.tts_text, "");
    wire_request_free(&w);
    /* tts_text sent twice (the last one counts), the second with a NUL */
    uint8_t twice[64];
    size_t k = 0;
    const uint8_t inner[] = {0x0a, 1, 'a', 0x12, 3, 'a', 'b', 'c', 0x12, 3, 'x', 0, 'y'};
    twice[k++] = 0x0a;
    twice[k++] = sizeof inner;
    memcpy(twice + k, inner, sizeof inner);
    k += sizeof inner;
    s = wire_request_decode(twice, k, &w);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "tts_text contains a NUL"));
}

static void test_compressed_request_named(void **state)
{
    (void)state;
    wire_request w;
    /* the start of gzip, zstd and zlib streams, as an unknown grpc-encoding
     * leaves them */
    const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe3};
    const uint8_t zst[] = {0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x10, 0x81, 0x00, 0x00};
    const uint8_t zl[] = {0x78, 0x9c, 0xe3, 0xe2, 0xe0, 0x62, 0x00, 0x00};
    cv_status s = wire_request_decode(gz, sizeof gz, &w);
    assert_int_equal(s.code, CV_UNIMPLEMENTED);
    assert_non_null(strstr(s.message, "like gzip data"));
    s = wire_request_decode(zst, sizeof zst, &w);
    assert_int_equal(s.code, CV_UNIMPLEMENTED);
    assert_non_null(strstr(s.message, "like zstd data"));
    s = wire_request_decode(zl, sizeof zl, &w);
    assert_int_equal(s.code, CV_UNIMPLEMENTED);
    assert_non_null(strstr(s.message, "deflate"));
    /* other garbage stays "not a valid Request" */
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    s = wire_request_decode(junk, sizeof junk, &w);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "not a valid"));
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
        cmocka_unit_test(test_instruct_prompt_audio),
        cmocka_unit_test(test_codec_odd_bytes_and_garbage),
        cmocka_unit_test(test_response_roundtrip),
        cmocka_unit_test(test_speed_range),
        cmocka_unit_test(test_speed_on_the_wire),
        cmocka_unit_test(test_prompt_and_instruct_text_limits),
        cmocka_unit_test(test_prompt_length_messages_agree),
        cmocka_unit_test(test_nul_bytes_refused),
        cmocka_unit_test(test_compressed_request_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
