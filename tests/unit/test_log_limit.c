/* Unit tests for rate-limited log lines (a flood must not flood the log). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/log_limit.h"
#include "common/timeutil.h"

static void test_one_line_per_interval_then_the_count(void **state)
{
    (void)state;
    cv_log_limiter l = CV_LOG_LIMITER_INIT(3600.0);
    unsigned long skipped = 99;
    assert_true(cv_log_limit_allow(&l, &skipped));
    assert_int_equal(skipped, 0);
    for (int i = 0; i < 60000; i++)
        assert_false(cv_log_limit_allow(&l, &skipped));
    /* as if the interval had passed: the next line reports what was left out */
    l.last = cv_now() - 3601.0;
    assert_true(cv_log_limit_allow(&l, &skipped));
    assert_int_equal(skipped, 60000);
    assert_false(cv_log_limit_allow(&l, &skipped));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_line_per_interval_then_the_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
