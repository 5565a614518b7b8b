/* The data directory an installed program derives from its own path
 * (<prefix>/bin/PROGRAM -> <prefix>/share/cosyvoice-c), for the layouts
 * that occur and those that must not match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/datadir.h"

static void test_prefixes(void **st)
{
    (void)st;
    static const struct { const char *exe, *dir; } cases[] = {
        {"/usr/local/bin/cosyvoice-server", "/usr/local/share/cosyvoice-c"},
        {"/usr/bin/cosyvoice-client", "/usr/share/cosyvoice-c"},
        {"/tmp/dest/usr/local/bin/cosyvoice-synth", "/tmp/dest/usr/local/share/cosyvoice-c"},
        {"/bin/cosyvoice-server", "/share/cosyvoice-c"},
        {"/opt/a bin/bin/x", "/opt/a bin/share/cosyvoice-c"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256];
        assert_true(cv_datadir_for_exe(cases[i].exe, out, sizeof out));
        assert_string_equal(out, cases[i].dir);
    }
}

/* A build tree, a directory merely ending in "bin", a relative path: not an
 * installation, so no data directory (the caller falls back). */
static void test_not_installed(void **st)
{
    (void)st;
    const char *exes[] = {"/work/src/build/cosyvoice-server", "/opt/sbin2/x", "/opt/mybin/x",
                          "bin/cosyvoice-server", "cosyvoice-server", "/x", "", NULL};
    for (size_t i = 0; i < sizeof exes / sizeof exes[0]; i++) {
        char out[64] = "junk";
        assert_false(cv_datadir_for_exe(exes[i], out, sizeof out));
        assert_string_equal(out, "");
    }
}

static void test_too_long(void **st)
{
    (void)st;
    char out[20] = "junk"; /* "/usr/share/cosyvoice-c" needs 23 */
    assert_false(cv_datadir_for_exe("/usr/bin/cosyvoice-server", out, sizeof out));
    assert_string_equal(out, "");
    char exact[23];
    assert_true(cv_datadir_for_exe("/usr/bin/cosyvoice-server", exact, sizeof exact));
    assert_string_equal(exact, "/usr/share/cosyvoice-c");
}

/* The unit test binary lives in build/tests/, not in a bin/ directory. */
static void test_build_tree_program(void **st)
{
    (void)st;
    assert_null(cv_installed_datadir());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_not_installed),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_build_tree_program),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
