/* Unit tests for the espeak engine's voice analysis: pitch, level, speech
 * duration, syllable nuclei and transcript syllable counts, on synthetic
 * signals whose true values are known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "engine/espeak/prompt_analysis.h"

/* A harmonic "voice" (5 harmonics, 1/h amplitudes) with peak amplitude amp. */
static void harmonic(int16_t *out, size_t n, int rate, double f0, double amp)
{
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate, v = 0;
        for (int h = 1; h <= 5; h++)
            v += sin(2 * M_PI * f0 * h * t) / h;
        out[i] = (int16_t)(amp * v / 1.6);
    }
}

static void test_pitch_of_harmonic_tones(void **state)
{
    (void)state;
    const double f0s[] = {85.0, 120.0, 220.0, 310.0};
    const int rates[] = {16000, 22050};
    for (size_t r = 0; r < 2; r++)
        for (size_t i = 0; i < 4; i++) {
            size_t n = (size_t)rates[r];
            int16_t *x = malloc(n * sizeof *x);
            harmonic(x, n, rates[r], f0s[i], 8000);
            voice_analysis a;
            assert_int_equal(voice_analyze(x, n, rates[r], &a), 0);
            assert_true(fabs(a.f0_median_hz - f0s[i]) < 0.02 * f0s[i]);
            assert_true(a.voiced_seconds > 0.8f);
            free(x);
        }
}

static void test_noise_is_unvoiced(void **state)
{
    (void)state;
    size_t n = 16000;
    int16_t *x = malloc(n * sizeof *x);
    unsigned s = 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (int16_t)(((int)((s >> 8) & 0xFFFF) - 32768) / 4);
    }
    voice_analysis a;
    assert_int_equal(voice_analyze(x, n, 16000, &a), 0);
    assert_true(a.voiced_seconds < 0.1f);
    free(x);
}

static void test_level(void **state)
{
    (void)state;
    size_t n = 16000;
    int16_t *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (int16_t)(10000 * sin(2 * M_PI * 200.0 * i / 16000.0));
    voice_analysis a, b;
    assert_int_equal(voice_analyze(x, n, 16000, &a), 0);
    double expect = 20 * log10(10000.0 / 32768.0 / sqrt(2.0));
    assert_true(fabs(a.rms_dbfs - expect) < 0.5);
    for (size_t i = 0; i < n; i++)
        x[i] = (int16_t)(x[i] / 10);
    assert_int_equal(voice_analyze(x, n, 16000, &b), 0);
    assert_true(fabs((a.rms_dbfs - b.rms_dbfs) - 20.0) < 0.5);
    free(x);
}

/* 1 s tone, 1 s silence, 1 s tone: 2 s of speech (a long pause is not
 * speech; short gaps would be). */
static void test_active_duration(void **state)
{
    (void)state;
    size_t n = 3 * 16000;
    int16_t *x = calloc(n, sizeof *x);
    harmonic(x, 16000, 16000, 150, 8000);
    harmonic(x + 32000, 16000, 16000, 150, 8000);
    voice_analysis a;
    assert_int_equal(voice_analyze(x, n, 16000, &a), 0);
    assert_true(fabs(a.active_seconds - 2.0) < 0.1);
    free(x);
}

/* "Syllables": voiced bursts with a smooth envelope, `per_second` a second,
 * for 4 s. The nuclei count and rate come out near the truth. */
static void check_rate(double per_second)
{
    int rate = 16000;
    size_t n = (size_t)(4 * rate);
    int16_t *x = calloc(n, sizeof *x);
    int16_t *tone = malloc(n * sizeof *tone);
    harmonic(tone, n, rate, 140, 9000);
    size_t period = (size_t)(rate / per_second), on = period * 6 / 10;
    int bursts = 0;
    for (size_t start = 0; start + on <= n; start += period, bursts++)
        for (size_t i = 0; i < on; i++) {
            double env = sin(M_PI * (double)i / (double)on);
            x[start + i] = (int16_t)(tone[start + i] * env * env);
        }
    voice_analysis a;
    assert_int_equal(voice_analyze(x, n, rate, &a), 0);
    assert_true(abs(a.nuclei - bursts) <= 1);
    assert_true(fabs(a.nuclei_per_second - per_second) < 0.15 * per_second);
    free(x);
    free(tone);
}

static void test_syllable_rate(void **state)
{
    (void)state;
    check_rate(3.0);
    check_rate(4.5);
    check_rate(6.0);
}

static void test_text_syllables(void **state)
{
    (void)state;
    assert_int_equal(text_syllable_count("你好世界"), 4);
    assert_int_equal(text_syllable_count("今天，天气很好！"), 6);
    assert_int_equal(text_syllable_count("hello world"), 3);
    assert_int_equal(text_syllable_count("make a cake"), 3);
    assert_int_equal(text_syllable_count("beautiful"), 3);
    assert_int_equal(text_syllable_count("오늘은 좋다"), 5);
    assert_int_equal(text_syllable_count("きょうは"), 3); /* kyo-u-wa: small ょ joins */
    assert_int_equal(text_syllable_count("Hi 你好"), 3);
    assert_int_equal(text_syllable_count("123 ..."), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pitch_of_harmonic_tones),
        cmocka_unit_test(test_noise_is_unvoiced),
        cmocka_unit_test(test_level),
        cmocka_unit_test(test_active_duration),
        cmocka_unit_test(test_syllable_rate),
        cmocka_unit_test(test_text_syllables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
