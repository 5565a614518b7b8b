/* Unit tests for timbre matching: the long-term spectrum, and the
 * correction filter (flat for equal spectra, bounded gain, right direction,
 * seamless across segments). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/espeak/timbre.h"

#define RATE 22050

/* White noise, optionally low-passed by a one-pole filter (a darker
 * "voice"). */
static int16_t *noise(size_t n, float lowpass, unsigned seed)
{
    int16_t *x = malloc(n * sizeof *x);
    float y = 0;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        float w = (float)((int)((seed >> 8) & 0xFFFF) - 32768) / 32768.0f;
        y = lowpass > 0 ? y + lowpass * (w - y) : w;
        x[i] = (int16_t)(y * 8000);
    }
    return x;
}

static void test_ltas_finds_the_tone(void **state)
{
    (void)state;
    size_t n = RATE;
    int16_t *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (int16_t)(8000 * sin(2 * M_PI * 1000.0 * i / RATE));
    ltas l;
    assert_int_equal(ltas_compute(x, n, RATE, &l), 0);
    assert_true(l.valid);
    int best = 0;
    for (int b = 1; b < LTAS_BANDS; b++)
        if (l.db[b] > l.db[best])
            best = b;
    /* 1 kHz lies in the band whose centre is nearest to it in log terms */
    for (int b = 0; b < LTAS_BANDS; b++)
        assert_true(fabsf(logf(ltas_band_centre(best) / 1000.0f)) <=
                    fabsf(logf(ltas_band_centre(b) / 1000.0f)) + 1e-6f);
    free(x);
}

static void test_equal_spectra_give_flat_filter(void **state)
{
    (void)state;
    size_t n = RATE;
    int16_t *x = noise(n, 0.3f, 7);
    ltas a;
    assert_int_equal(ltas_compute(x, n, RATE, &a), 0);
    timbre_filter f;
    timbre_filter_design(&f, &a, &a, 8.0f, RATE);
    assert_true(f.flat);
    for (float hz = 50; hz < 10000; hz *= 1.3f)
        assert_true(fabsf(timbre_filter_response_db(&f, hz, RATE)) < 0.01f);
    int16_t *y = malloc(n * sizeof *y);
    memcpy(y, x, n * sizeof *y);
    timbre_filter_apply(&f, y, n);
    assert_memory_equal(x, y, n * sizeof *y);
    free(x);
    free(y);
}

/* A bright target and a dark current voice: the filter lifts the highs,
 * and no band is moved by more than the bound. */
static void test_bounded_and_directed(void **state)
{
    (void)state;
    size_t n = 2 * RATE;
    int16_t *bright = noise(n, 0.0f, 3), *dark = noise(n, 0.05f, 5);
    ltas t, c;
    assert_int_equal(ltas_compute(bright, n, RATE, &t), 0);
    assert_int_equal(ltas_compute(dark, n, RATE, &c), 0);
    const float bound = 6.0f;
    timbre_filter f;
    timbre_filter_design(&f, &t, &c, bound, RATE);
    assert_false(f.flat);
    for (int b = 0; b < LTAS_BANDS; b++)
        assert_true(fabsf(f.band_gain_db[b]) <= bound + 1e-4f);
    for (float hz = 30; hz < 11000; hz *= 1.1f)
        assert_true(fabsf(timbre_filter_response_db(&f, hz, RATE)) <= bound + 1.0f);
    assert_true(timbre_filter_response_db(&f, 6000, RATE) >
                timbre_filter_response_db(&f, 200, RATE) + 6.0f);
    /* Filtering the dark noise brings its spectrum closer to the target. */
    timbre_filter_apply(&f, dark, n);
    ltas after;
    assert_int_equal(ltas_compute(dark, n, RATE, &after), 0);
    float tilt_before = (c.db[7] - c.db[0]) - (t.db[7] - t.db[0]);
    float tilt_after = (after.db[7] - after.db[0]) - (t.db[7] - t.db[0]);
    assert_true(fabsf(tilt_after) < fabsf(tilt_before) - 6.0f);
    free(bright);
    free(dark);
}

/* Filtering in two pieces gives the same samples as in one. */
static void test_continuity_across_segments(void **state)
{
    (void)state;
    size_t n = RATE;
    int16_t *bright = noise(n, 0.0f, 11), *dark = noise(n, 0.1f, 13);
    ltas t, c;
    ltas_compute(bright, n, RATE, &t);
    ltas_compute(dark, n, RATE, &c);
    timbre_filter f1, f2;
    timbre_filter_design(&f1, &t, &c, 8.0f, RATE);
    f2 = f1;
    int16_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    memcpy(a, dark, n * sizeof *a);
    memcpy(b, dark, n * sizeof *b);
    timbre_filter_apply(&f1, a, n);
    timbre_filter_apply(&f2, b, 1000);
    timbre_filter_apply(&f2, b + 1000, 50);
    timbre_filter_apply(&f2, b + 1050, n - 1050);
    assert_memory_equal(a, b, n * sizeof *a);
    free(a);
    free(b);
    free(bright);
    free(dark);
}

static void test_invalid_ltas_is_flat(void **state)
{
    (void)state;
    int16_t silence[4000] = {0};
    ltas s, t;
    assert_int_equal(ltas_compute(silence, 4000, RATE, &s), 0);
    assert_false(s.valid);
    int16_t *x = noise(RATE, 0, 1);
    ltas_compute(x, RATE, RATE, &t);
    timbre_filter f;
    timbre_filter_design(&f, &t, &s, 8.0f, RATE);
    assert_true(f.flat);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ltas_finds_the_tone),
        cmocka_unit_test(test_equal_spectra_give_flat_filter),
        cmocka_unit_test(test_bounded_and_directed),
        cmocka_unit_test(test_continuity_across_segments),
        cmocka_unit_test(test_invalid_ltas_is_flat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
