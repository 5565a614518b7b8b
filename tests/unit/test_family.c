/* Unit tests for telling a model directory's family by its yaml file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/family.h"

static void touch(const char *dir, const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

static void rm(const char *dir, const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    unlink(path);
}

static void test_each_family_by_its_yaml(void **state)
{
    (void)state;
    char dir[] = "/tmp/cv-family-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const cv_family fams[] = {CV_FAMILY_V1, CV_FAMILY_V2, CV_FAMILY_V3};
    for (size_t i = 0; i < 3; i++) {
        touch(dir, cv_family_yaml(fams[i]));
        cv_family f = 0;
        char path[1024], want[1024];
        cv_status st = cv_family_detect(dir, &f, path, sizeof path);
        assert_true(cv_is_ok(&st));
        assert_int_equal(f, fams[i]);
        snprintf(want, sizeof want, "%s/%s", dir, cv_family_yaml(fams[i]));
        assert_string_equal(path, want);
        rm(dir, cv_family_yaml(fams[i]));
    }
    rmdir(dir);
}

static void test_none_or_two_are_refused(void **state)
{
    (void)state;
    char dir[] = "/tmp/cv-family-XXXXXX";
    assert_non_null(mkdtemp(dir));
    cv_family f;
    char path[1024];
    cv_status st = cv_family_detect(dir, &f, path, sizeof path);
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "cosyvoice2.yaml"));

    touch(dir, "cosyvoice.yaml");
    touch(dir, "cosyvoice3.yaml");
    st = cv_family_detect(dir, &f, path, sizeof path);
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "cosyvoice.yaml and cosyvoice3.yaml"));
    rm(dir, "cosyvoice.yaml");
    rm(dir, "cosyvoice3.yaml");
    rmdir(dir);
    /* a directory that is not there is NOT_FOUND, not "no yaml in it" */
    st = cv_family_detect(dir, &f, path, sizeof path);
    assert_int_equal(st.code, CV_NOT_FOUND);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(cv_family_name(CV_FAMILY_V2), "CosyVoice2-0.5B");
    assert_string_equal(cv_family_yaml(CV_FAMILY_V1), "cosyvoice.yaml");
    assert_null(cv_family_yaml((cv_family)0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_family_by_its_yaml),
        cmocka_unit_test(test_none_or_two_are_refused),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
