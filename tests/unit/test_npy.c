/* Unit tests for the .npy reader: golden arrays of every dtype they use,
 * hand-built files for header versions, and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/io/npy.h"

static char *golden(const char *file)
{
    const char *root = getenv("CV_SOURCE_DIR");
    static char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/golden/cosyvoice-v1-tiny/%s", root ? root : ".", file);
    return path;
}

/* Builds a .npy of `version` with header dict `dict` and `n` data bytes. */
static size_t make_npy(uint8_t *out, int version, const char *dict, const void *data, size_t n)
{
    size_t hl = strlen(dict), pre = version == 1 ? 10 : 12;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (uint8_t)version;
    out[7] = 0;
    out[8] = (uint8_t)hl;
    out[9] = (uint8_t)(hl >> 8);
    if (version != 1) out[10] = out[11] = 0;
    memcpy(out + pre, dict, hl);
    memcpy(out + pre + hl, data, n);
    return pre + hl + n;
}

static void test_golden(void **state)
{
    (void)state;
    npy_array a;
    cv_status s = npy_load(golden("flow_mel.npy"), &a);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(a.dtype, NPY_FLOAT32);
    assert_int_equal(a.ndim, 3);
    assert_int_equal(a.shape[0], 1);
    assert_int_equal(a.shape[1], 80);
    assert_int_equal(a.shape[2], 120);
    assert_int_equal(a.count, 9600);
    assert_null(a.idata);
    npy_free(&a);

    s = npy_load(golden("llm_tokens.npy"), &a);
    assert_int_equal(s.code, CV_OK);
    assert_int_equal(a.dtype, NPY_INT32);
    assert_int_equal(a.ndim, 1);
    assert_int_equal(a.count, 240);
    for (size_t k = 0; k < a.count; k++) {
        assert_true(a.idata[k] >= 0 && a.idata[k] < 4097);
        assert_true(a.data[k] == (float)a.idata[k]);
    }
    npy_free(&a);

    /* chunk lengths (int64) add up to the concatenated audio */
    npy_array len, speech;
    assert_int_equal(npy_load(golden("stream_lengths.npy"), &len).code, CV_OK);
    assert_int_equal(npy_load(golden("stream_speech.npy"), &speech).code, CV_OK);
    assert_int_equal(len.dtype, NPY_INT64);
    int64_t total = 0;
    for (size_t k = 0; k < len.count; k++) total += len.idata[k];
    assert_int_equal(total, speech.shape[1]);
    npy_free(&len);
    npy_free(&speech);
}

static void test_versions_and_values(void **state)
{
    (void)state;
    uint8_t buf[512];
    const float f[] = {1.5f, -2.0f, 0.25f, 8.0f, 0, 3};
    for (int v = 1; v <= 3; v++) {
        size_t n = make_npy(buf, v, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   \n", f, sizeof f);
        npy_array a;
        cv_status s = npy_load_memory(buf, n, "v.npy", &a);
        assert_int_equal(s.code, CV_OK);
        assert_int_equal(a.ndim, 2);
        assert_int_equal(a.shape[1], 3);
        assert_memory_equal(a.data, f, sizeof f);
        npy_free(&a);
    }
    const int64_t l[] = {-3, (int64_t)1 << 40};
    size_t n = make_npy(buf, 1, "{\"descr\":\"<i8\",\"fortran_order\":False,\"shape\":(2,)}", l, sizeof l);
    npy_array a;
    assert_int_equal(npy_load_memory(buf, n, "l.npy", &a).code, CV_OK);
    assert_true(a.idata[0] == -3 && a.idata[1] == (int64_t)1 << 40);
    npy_free(&a);
    /* a scalar */
    n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", f, 4);
    assert_int_equal(npy_load_memory(buf, n, "s.npy", &a).code, CV_OK);
    assert_int_equal(a.ndim, 0);
    assert_int_equal(a.count, 1);
    assert_true(a.data[0] == 1.5f);
    npy_free(&a);
}

static void expect_bad(const uint8_t *buf, size_t n, cv_code code, const char *needle)
{
    npy_array a;
    cv_status s = npy_load_memory(buf, n, "bad.npy", &a);
    if (s.code != code || !strstr(s.message, needle)) fail_msg("got '%s', want '%s'", s.message, needle);
    assert_null(a.data);
}

static void test_malformed(void **state)
{
    (void)state;
    uint8_t buf[512];
    const float f[6] = {0};
    size_t n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f, sizeof f);
    for (size_t cut = 0; cut < n; cut++) {
        npy_array a;
        assert_int_not_equal(npy_load_memory(buf, cut, "cut.npy", &a).code, CV_OK);
    }
    expect_bad(buf, n - 4, CV_INVALID_ARGUMENT, "shape needs 24");
    n = make_npy(buf, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (6,), }", f, sizeof f);
    expect_bad(buf, n, CV_UNIMPLEMENTED, "dtype '>f4'");
    n = make_npy(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", f, sizeof f);
    expect_bad(buf, n, CV_UNIMPLEMENTED, "dtype '<f8'");
    {
        /* Fortran order: stored column by column, returned in C order */
        const float col[6] = {0, 1, 2, 3, 4, 5}; /* a[i][j] = i + 2 j */
        n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", col,
                     sizeof col);
        npy_array a;
        assert_int_equal(npy_load_memory(buf, n, "f.npy", &a).code, CV_OK);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++) assert_true(a.data[i * 3 + j] == (float)(i + 2 * j));
        npy_free(&a);
    }
    n = make_npy(buf, 1, "{'descr': '<f4', 'shape': (6,), }", f, sizeof f);
    expect_bad(buf, n, CV_INVALID_ARGUMENT, "malformed");
    n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999, 99999999), }", f, 0);
    expect_bad(buf, n, CV_INVALID_ARGUMENT, "malformed");
    n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", f, 0);
    expect_bad(buf, n, CV_INVALID_ARGUMENT, "too large");
    n = make_npy(buf, 4, "{}", f, 0);
    expect_bad(buf, n, CV_UNIMPLEMENTED, "version 4");
    npy_array a;
    cv_status s = npy_load("/nonexistent/x.npy", &a);
    assert_int_equal(s.code, CV_NOT_FOUND);
    assert_non_null(strstr(s.message, "/nonexistent/x.npy"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_versions_and_values),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
