/* Unit tests for loading recordings as 16 kHz mono s16 (the prompt path of
 * the client): channel mixing, resampling length and content, formats other
 * than WAV, and the errors a user can cause. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sndfile.h>

#include "audio/audio_file.h"

#define TMP_FIXTURE_FILE "in"
#include "tmp_file_fixture.h"

/* Writes `frames` frames of `ch` channels: channel c carries a sine at
 * freq[c] with amplitude amp[c]. */
static void write_sines(int format, int rate, int ch, sf_count_t frames, const double *freq,
                        const double *amp)
{
    SF_INFO info = {.samplerate = rate, .channels = ch, .format = format};
    SNDFILE *sf = sf_open(g_path, SFM_WRITE, &info);
    assert_non_null(sf);
    float *buf = malloc((size_t)(frames * ch) * sizeof *buf);
    assert_non_null(buf);
    for (sf_count_t i = 0; i < frames; i++)
        for (int c = 0; c < ch; c++)
            buf[i * ch + c] = (float)(amp[c] * sin(2 * M_PI * freq[c] * (double)i / rate));
    assert_int_equal(sf_writef_float(sf, buf, frames), frames);
    free(buf);
    sf_close(sf);
}

/* Amplitude of the component at freq (Goertzel over x[from, to)). */
static double tone_amplitude(const int16_t *x, size_t from, size_t to, double freq, int rate)
{
    double w = 2 * M_PI * freq / rate, c = 2 * cos(w), s1 = 0, s2 = 0;
    for (size_t i = from; i < to; i++) {
        double s0 = x[i] / 32768.0 + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - c * s1 * s2;
    return 2 * sqrt(power) / (double)(to - from);
}

static void test_stereo_44k_to_16k_mono(void **state)
{
    (void)state;
    const double freq[2] = {1000, 1000}, amp[2] = {0.6, 0.2};
    write_sines(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, 44100 * 3 / 2, freq, amp);
    audio_pcm p;
    cv_status st = audio_file_load_mono(g_path, 16000, &p);
    assert_int_equal(st.code, CV_OK);
    assert_int_equal(p.sample_rate, 16000);
    assert_int_equal(p.source_rate, 44100);
    assert_int_equal(p.source_channels, 2);
    /* 1.5 s -> 24000 samples (allow a couple for filter edges) */
    assert_in_range(p.n, 24000 - 2, 24000 + 2);
    /* channels averaged: amplitude (0.6 + 0.2) / 2 at 1 kHz, away from
     * the edges; nothing at unrelated frequencies */
    double a = tone_amplitude(p.samples, 2000, 22000, 1000, 16000);
    assert_true(fabs(a - 0.4) < 0.01);
    assert_true(tone_amplitude(p.samples, 2000, 22000, 1500, 16000) < 0.01);
    assert_true(tone_amplitude(p.samples, 2000, 22000, 2205, 16000) < 0.01);
    audio_pcm_free(&p);
    assert_null(p.samples);
}

/* A frequency survives resampling where it was, not scaled by the ratio. */
static void test_frequency_preserved(void **state)
{
    (void)state;
    const double freq[1] = {440}, amp[1] = {0.5};
    write_sines(SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, 48000, freq, amp);
    audio_pcm p;
    assert_int_equal(audio_file_load_mono(g_path, 16000, &p).code, CV_OK);
    assert_in_range(p.n, 16000 - 2, 16000 + 2);
    double at = tone_amplitude(p.samples, 1000, 15000, 440, 16000);
    double wrong = tone_amplitude(p.samples, 1000, 15000, 440 * 3, 16000);
    assert_true(fabs(at - 0.5) < 0.01);
    assert_true(wrong < 0.01);
    audio_pcm_free(&p);
}

/* Opposite channels cancel: proves mixing averages instead of picking one. */
static void test_antiphase_channels_cancel(void **state)
{
    (void)state;
    const double freq[2] = {300, 300}, amp[2] = {0.5, -0.5};
    write_sines(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 2, 8000, freq, amp);
    audio_pcm p;
    assert_int_equal(audio_file_load_mono(g_path, 16000, &p).code, CV_OK);
    assert_int_equal(p.n, 8000);
    for (size_t i = 0; i < p.n; i++)
        assert_in_range(p.samples[i] + 2, 0, 4);
    audio_pcm_free(&p);
}

/* 16 kHz mono 16-bit input comes back sample for sample. */
static void test_native_rate_is_exact(void **state)
{
    (void)state;
    SF_INFO info = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open(g_path, SFM_WRITE, &info);
    assert_non_null(sf);
    int16_t x[1000];
    for (int i = 0; i < 1000; i++)
        x[i] = (int16_t)((i * 7919) % 60000 - 30000);
    assert_int_equal(sf_write_short(sf, x, 1000), 1000);
    sf_close(sf);
    audio_pcm p;
    assert_int_equal(audio_file_load_mono(g_path, 16000, &p).code, CV_OK);
    assert_int_equal(p.n, 1000);
    assert_memory_equal(p.samples, x, sizeof x);
    audio_pcm_free(&p);
}

/* Any format libsndfile reads: FLAC at 22.05 kHz with 3 channels. */
static void test_flac_multichannel(void **state)
{
    (void)state;
    const double freq[3] = {500, 500, 500}, amp[3] = {0.3, 0.3, 0.3};
    write_sines(SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 22050, 3, 22050, freq, amp);
    audio_pcm p;
    cv_status st = audio_file_load_mono(g_path, 16000, &p);
    assert_int_equal(st.code, CV_OK);
    assert_int_equal(p.source_channels, 3);
    assert_in_range(p.n, 16000 - 2, 16000 + 2);
    assert_true(fabs(tone_amplitude(p.samples, 1000, 15000, 500, 16000) - 0.3) < 0.01);
    audio_pcm_free(&p);
}

static void test_errors(void **state)
{
    (void)state;
    audio_pcm p;
    cv_status st = audio_file_load_mono("/nonexistent/prompt.wav", 16000, &p);
    assert_int_equal(st.code, CV_NOT_FOUND);
    assert_non_null(strstr(st.message, "/nonexistent/prompt.wav"));
    assert_null(p.samples);

    st = audio_file_load_mono(g_dir, 16000, &p);
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);

    FILE *f = fopen(g_path, "w");
    assert_non_null(f);
    fputs("this is text, not audio\n", f);
    fclose(f);
    st = audio_file_load_mono(g_path, 16000, &p);
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    assert_null(p.samples);

    /* a valid WAV without a single frame */
    SF_INFO info = {.samplerate = 16000, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    SNDFILE *sf = sf_open(g_path, SFM_WRITE, &info);
    assert_non_null(sf);
    sf_close(sf);
    st = audio_file_load_mono(g_path, 16000, &p);
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "no audio"));
}

/* Found by fuzzing: an AIFF claiming a 1 Hz rate made the resampler expand
 * 456 frames 16000-fold. Implausible rates are refused, from memory too. */
static void test_implausible_rate_refused(void **state)
{
    (void)state;
    const char *root = getenv("CV_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/regressions/aiff_rate_1hz.aiff", root ? root : ".");
    audio_pcm pcm;
    cv_status st = audio_file_load_mono(path, 16000, &pcm);
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "implausible"));
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    st = audio_file_load_mono_memory(buf, n, "mem", 16000, &pcm);
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stereo_44k_to_16k_mono, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frequency_preserved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_antiphase_channels_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_native_rate_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flac_multichannel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test(test_implausible_rate_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
