/* Unit tests for log escaping: request text must not forge log lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/log.h"

static void expect(const char *in, const char *want)
{
    char out[256];
    size_t n = cv_log_escape(in, out, sizeof out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_controls_escaped(void **state)
{
    (void)state;
    expect("plain text", "plain text");
    expect("a\nb\rc\td", "a\\nb\\rc\\td");
    expect("spk\n2026-01-01T00:00:00.000Z INFO  forged", "spk\\n2026-01-01T00:00:00.000Z INFO  forged");
    expect("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
    expect("\x01\x7f", "\\x01\\x7f");
    expect("C1 \xc2\x85 \xc2\x9b!", "C1 \\u0085 \\u009b!");
    /* other UTF-8 passes through */
    expect("中文女 \xc2\xa0 é", "中文女 \xc2\xa0 é");
}

static void test_cut_at_capacity(void **state)
{
    (void)state;
    char out[6];
    /* "ab\n" needs 4 bytes; with "cd" it would need 6 + NUL: cut before "d" */
    assert_int_equal(cv_log_escape("ab\ncd", out, sizeof out), 5);
    assert_string_equal(out, "ab\\nc");
    /* an escape is never cut in half */
    assert_int_equal(cv_log_escape("abcd\x1b", out, sizeof out), 4);
    assert_string_equal(out, "abcd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_controls_escaped),
        cmocka_unit_test(test_cut_at_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
