/* Robustness of the text front end: many generated inputs mixing scripts,
 * digits, punctuation, markup fragments and invalid bytes (fixed seed).
 * Valid UTF-8 must give OK with well-formed segments; invalid UTF-8 must
 * give INVALID_ARGUMENT; nothing may crash (run under ASan/valgrind). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/utf8.h"
#include "text/frontend.h"

static const char *const PIECES[] = {
    "你好", "世界", "我们", "用", "Python", "hello", "Mr.", "U.S.", "e.g.", "etc.", " ", "  ",
    "\n", "\n\n", "。", "，", "！", "？", "；", "…", ".", ",", "!", "?", ";", ":", "：", "、",
    "0", "1", "2", "3", "9", "-", "+", "=", "&", "@", "%", "$", "¥", "€", "£", "/", "~", "*",
    "<", ">", "°C", "km", "kg", "m²", "元", "年", "月", "日", "个", "第", "st", "nd", "PM",
    "今日は", "カタカナ", "안녕", "하세요", "<|zh|>", "<|en|>", "<|yue|>", "<|jp|>", "<|ko|>",
    "<|endofprompt|>", "<|", "|>", "[laughter]", "[breath]", "[cough]", "[", "]",
    "<strong>", "</strong>", "<laughter>", "</laughter>", "《", "》", "“", "”", "\"", "(", ")",
    "ＡＢＣ", "１２３", "　", "\t", "3.5", "1,234", "3:45", "2024-11-24", "13800138000",
    "99999999999999999999999999", "0.000001", "1/2", "..."};

static uint32_t rng = 12345u;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void check_segments(const char *text)
{
    text_frontend_options opt = {(text_lang)(next_rand() % LANG_COUNT), next_rand() % 40};
    text_segments segs;
    cv_status st = text_frontend_run(text, &opt, &segs);
    bool valid = utf8_valid(text, strlen(text));
    if (!valid) {
        assert_int_equal(st.code, CV_INVALID_ARGUMENT);
        return;
    }
    assert_int_equal(st.code, CV_OK);
    for (size_t k = 0; k < segs.count; k++) {
        const text_segment *x = &segs.items[k];
        assert_non_null(x->text);
        assert_true(utf8_valid(x->text, strlen(x->text)));
        assert_true(x->text[0] != '\0' || x->event != TEXT_EVENT_NONE);
        assert_true(x->lang > LANG_UNKNOWN && x->lang < LANG_COUNT);
        /* markup is never read out */
        static const char *const tokens[] = {"<|zh|>", "<|en|>", "<|endofprompt|>",
                                             "[laughter]", "[cough]", "<strong>", "</laughter>"};
        for (size_t t = 0; t < sizeof tokens / sizeof tokens[0]; t++)
            assert_null(strstr(x->text, tokens[t]));
        /* the markers of the internal stream (plane 16) never leak */
        assert_null(strstr(x->text, "\xf4\x8f"));
    }
    text_segments_free(&segs);
    char *norm = NULL;
    assert_int_equal(text_frontend_normalize(text, &opt, &norm).code, CV_OK);
    free(norm);
}

static void test_generated_inputs(void **state)
{
    (void)state;
    char buf[2048];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 0, pieces = 1 + next_rand() % 30;
        for (size_t p = 0; p < pieces; p++) {
            const char *s = PIECES[next_rand() % (sizeof PIECES / sizeof PIECES[0])];
            size_t len = strlen(s);
            if (n + len + 1 >= sizeof buf) break;
            memcpy(buf + n, s, len);
            n += len;
        }
        if (iter % 7 == 0 && n > 0) buf[next_rand() % n] = (char)(0x80 + next_rand() % 0x80);
        buf[n] = '\0';
        check_segments(buf);
    }
}

static void test_long_input(void **state)
{
    (void)state;
    size_t n = 200000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++) big[i] = "1234567890 abc, def. "[i % 21];
    big[n] = '\0';
    text_segments segs;
    assert_int_equal(text_frontend_run(big, NULL, &segs).code, CV_OK);
    assert_true(segs.count > 1000);
    text_segments_free(&segs);
    memset(big, '9', n); /* one huge number: read digit by digit */
    assert_int_equal(text_frontend_run(big, NULL, &segs).code, CV_OK);
    assert_true(segs.count >= 1);
    text_segments_free(&segs);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_inputs),
        cmocka_unit_test(test_long_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
