/* Unit tests for streamed text: the incremental segmentation (text_feed)
 * and the text pipe (UTF-8 split across pieces, limits, end of input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/text_pipe.h"
#include "text/text_feed.h"

/* Feeds text one byte-complete character at a time, collecting pieces. */
static int feed_all(const char *text, char pieces[][128], int max)
{
    text_feed f;
    text_feed_init(&f, 0);
    int n = 0;
    bool oom;
    size_t len = strlen(text);
    for (size_t i = 0; i < len;) {
        size_t k = 1;
        while (i + k < len && ((unsigned char)text[i + k] & 0xC0) == 0x80) k++;
        assert_true(text_feed_push(&f, text + i, k));
        i += k;
        char *p;
        while ((p = text_feed_take(&f, false, &oom)) && n < max) {
            snprintf(pieces[n++], 128, "%s", p);
            free(p);
        }
    }
    char *p;
    while ((p = text_feed_take(&f, true, &oom)) && n < max) {
        snprintf(pieces[n++], 128, "%s", p);
        free(p);
    }
    text_feed_free(&f);
    return n;
}

static void test_cuts_only_where_safe(void **state)
{
    (void)state;
    char p[8][128];
    int n = feed_all("Pi is 3.14 today. Dr. Smith came. 你好。再见", p, 8);
    assert_int_equal(n, 4);
    assert_string_equal(p[0], "Pi is 3.14 today.");
    assert_string_equal(p[1], " Dr. Smith came.");
    assert_string_equal(p[2], " 你好。");
    assert_string_equal(p[3], "再见");
}

static void test_markup_not_cut(void **state)
{
    (void)state;
    char p[8][128];
    int n = feed_all("<strong>One. Two.</strong> Three. <|en|>Four. Five.", p, 8);
    assert_int_equal(n, 3);
    assert_string_equal(p[0], "<strong>One. Two.</strong> Three.");
    assert_string_equal(p[1], " <|en|>Four.");
    assert_string_equal(p[2], "<|en|> Five.");
}

static void test_pipe_split_utf8(void **state)
{
    (void)state;
    text_pipe tp;
    text_pipe_init(&tp, 100, 0);
    const uint8_t e[] = {0xC3, 0xA9}; /* é */
    assert_int_equal(text_pipe_push(&tp, (const uint8_t *)"caf", 3).code, CV_OK);
    assert_int_equal(text_pipe_push(&tp, e, 1).code, CV_OK);
    char *piece;
    size_t n;
    assert_int_equal(tp.src.read(&tp.src, &piece, &n).code, CV_OK);
    assert_int_equal(n, 3); /* the half character waits */
    free(piece);
    assert_int_equal(text_pipe_push(&tp, e + 1, 1).code, CV_OK);
    assert_int_equal(text_pipe_end(&tp).code, CV_OK);
    assert_int_equal(tp.src.read(&tp.src, &piece, &n).code, CV_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(piece, e, 2);
    free(piece);
    assert_int_equal(tp.src.read(&tp.src, &piece, &n).code, CV_OK);
    assert_int_equal(n, 0);
    text_pipe_destroy(&tp);
}

static void test_pipe_errors(void **state)
{
    (void)state;
    text_pipe tp;
    text_pipe_init(&tp, 5, 0);
    assert_int_equal(text_pipe_push(&tp, (const uint8_t *)"abcdef", 6).code, CV_INVALID_ARGUMENT);
    char *piece;
    size_t n;
    assert_int_equal(tp.src.read(&tp.src, &piece, &n).code, CV_INVALID_ARGUMENT);
    text_pipe_destroy(&tp);

    text_pipe_init(&tp, 5, 0);
    assert_int_equal(text_pipe_push(&tp, (const uint8_t *)"\xff", 1).code, CV_INVALID_ARGUMENT);
    text_pipe_destroy(&tp);

    text_pipe_init(&tp, 5, 0);
    assert_int_equal(text_pipe_push(&tp, (const uint8_t *)"  ", 2).code, CV_OK);
    assert_int_equal(text_pipe_end(&tp).code, CV_INVALID_ARGUMENT); /* blanks only */
    text_pipe_destroy(&tp);

    text_pipe_init(&tp, 5, 0.05);
    assert_int_equal(tp.src.read(&tp.src, &piece, &n).code, CV_DEADLINE_EXCEEDED);
    text_pipe_destroy(&tp);

    /* the engine gives up (no idle timeout): a read returns its status */
    text_pipe_init(&tp, 5, 0);
    assert_non_null(tp.src.stop);
    tp.src.stop(&tp.src, cv_error(CV_INTERNAL, "engine failed"));
    assert_int_equal(tp.src.read(&tp.src, &piece, &n).code, CV_INTERNAL);
    text_pipe_destroy(&tp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cuts_only_where_safe),
        cmocka_unit_test(test_markup_not_cut),
        cmocka_unit_test(test_pipe_split_utf8),
        cmocka_unit_test(test_pipe_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
