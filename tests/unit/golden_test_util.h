/* Test helpers for the golden reference data under tests/data/golden/:
 * paths, .npy arrays (a failed load fails the test) and the max abs
 * difference comparisons use. Include after cmocka.h. */
#ifndef CV_GOLDEN_TEST_UTIL_H
#define CV_GOLDEN_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/io/npy.h"

/* tests/data/golden/<set>[/<file>] (file may be NULL), in a static buffer
 * (one of two, so two results can be used together). */
static const char *golden_path(const char *set, const char *file)
{
    static char path[2][1024];
    static int k;
    k ^= 1;
    const char *root = getenv("CV_SOURCE_DIR");
    snprintf(path[k], sizeof path[k], "%s/tests/data/golden/%s%s%s", root ? root : ".", set,
             file ? "/" : "", file ? file : "");
    return path[k];
}

/* tests/data/golden/<set>/<name>.npy */
static npy_array golden_npy(const char *set, const char *name)
{
    char file[256];
    snprintf(file, sizeof file, "%s.npy", name);
    npy_array a;
    cv_status st = npy_load(golden_path(set, file), &a);
    if (!cv_is_ok(&st)) fail_msg("%s", st.message);
    return a;
}

/* Largest |a[i] - b[i]|; a NaN on either side makes it NaN (never passes a
 * `<` bound). */
static double golden_max_abs(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = d;
    }
    return m;
}

#endif
