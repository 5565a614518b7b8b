/* Unit tests for the progressive WAV writer: the file must be a valid WAV
 * holding exactly the audio written so far after every write, even when the
 * writer is never closed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <sndfile.h>

#include "audio/wav_writer.h"

#define TMP_FIXTURE_FILE "out.wav"
#include "tmp_file_fixture.h"

static void fill(int16_t *pcm, size_t n, int seed)
{
    for (size_t i = 0; i < n; i++)
        pcm[i] = (int16_t)(((int)i * 37 + seed * 1001) % 65536 - 32768);
}

/* Reads the file back with libsndfile as an independent reader and checks
 * it holds exactly `expect` (n samples) at `rate`. */
static void assert_wav_holds(const int16_t *expect, size_t n, int rate)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(g_path, SFM_READ, &info);
    assert_non_null(sf);
    assert_int_equal(info.samplerate, rate);
    assert_int_equal(info.channels, 1);
    assert_int_equal(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    assert_int_equal(info.frames, (sf_count_t)n);
    int16_t *got = malloc((n + 1) * sizeof *got);
    assert_non_null(got);
    assert_int_equal(sf_read_short(sf, got, (sf_count_t)n + 1), (sf_count_t)n);
    if (n)
        assert_memory_equal(got, expect, n * sizeof *got);
    free(got);
    sf_close(sf);
}

/* The canonical RIFF header sizes must match the file size exactly. */
static void assert_header_sizes(size_t n)
{
    FILE *f = fopen(g_path, "rb");
    assert_non_null(f);
    uint8_t h[44];
    assert_int_equal(fread(h, 1, 44, f), 44);
    fclose(f);
    struct stat st;
    assert_int_equal(stat(g_path, &st), 0);
    assert_int_equal((size_t)st.st_size, 44 + 2 * n);
    assert_memory_equal(h, "RIFF", 4);
    assert_memory_equal(h + 8, "WAVE", 4);
    assert_memory_equal(h + 36, "data", 4);
    uint32_t riff = h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24;
    uint32_t data = h[40] | h[41] << 8 | h[42] << 16 | (uint32_t)h[43] << 24;
    assert_int_equal(riff, (uint32_t)st.st_size - 8);
    assert_int_equal(data, 2 * n);
}

static void test_valid_after_each_chunk(void **state)
{
    (void)state;
    enum { N1 = 1000, N2 = 333, N3 = 4096 };
    int16_t all[N1 + N2 + N3];
    fill(all, N1 + N2 + N3, 1);
    wav_writer *w = NULL;
    cv_status st = wav_writer_open(g_path, 24000, &w);
    assert_int_equal(st.code, CV_OK);
    /* an opened file is already a valid, empty WAV with a 44-byte header */
    assert_header_sizes(0);
    assert_wav_holds(all, 0, 24000);

    st = wav_writer_write(w, all, N1);
    assert_int_equal(st.code, CV_OK);
    assert_header_sizes(N1);
    assert_wav_holds(all, N1, 24000);

    st = wav_writer_write(w, all + N1, 0); /* empty chunk: nothing changes */
    assert_int_equal(st.code, CV_OK);
    assert_header_sizes(N1);

    st = wav_writer_write(w, all + N1, N2);
    assert_int_equal(st.code, CV_OK);
    assert_header_sizes(N1 + N2);
    assert_wav_holds(all, N1 + N2, 24000);

    st = wav_writer_write(w, all + N1 + N2, N3);
    assert_int_equal(st.code, CV_OK);
    assert_int_equal(wav_writer_frames(w), N1 + N2 + N3);
    assert_int_equal(wav_writer_sample_rate(w), 24000);
    st = wav_writer_close(w);
    assert_int_equal(st.code, CV_OK);
    assert_header_sizes(N1 + N2 + N3);
    assert_wav_holds(all, N1 + N2 + N3, 24000);
}

/* A writer process that dies without closing (a broken stream, a crash)
 * leaves a valid file with everything it wrote. */
static void test_valid_without_close(void **state)
{
    (void)state;
    enum { N = 2205 };
    int16_t all[2 * N];
    fill(all, 2 * N, 7);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        wav_writer *w = NULL;
        cv_status st = wav_writer_open(g_path, 22050, &w);
        if (st.code != CV_OK)
            _exit(1);
        if (wav_writer_write(w, all, N).code != CV_OK ||
            wav_writer_write(w, all + N, N).code != CV_OK)
            _exit(1);
        _exit(0); /* no close: no finalization */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_header_sizes(2 * N);
    assert_wav_holds(all, 2 * N, 22050);
}

static void test_reopen_truncates(void **state)
{
    (void)state;
    int16_t a[500], b[100];
    fill(a, 500, 2);
    fill(b, 100, 3);
    wav_writer *w = NULL;
    assert_int_equal(wav_writer_open(g_path, 16000, &w).code, CV_OK);
    assert_int_equal(wav_writer_write(w, a, 500).code, CV_OK);
    assert_int_equal(wav_writer_close(w).code, CV_OK);
    assert_int_equal(wav_writer_open(g_path, 16000, &w).code, CV_OK);
    assert_int_equal(wav_writer_write(w, b, 100).code, CV_OK);
    assert_int_equal(wav_writer_close(w).code, CV_OK);
    assert_header_sizes(100);
    assert_wav_holds(b, 100, 16000);
}

static void test_open_errors(void **state)
{
    (void)state;
    wav_writer *w = (wav_writer *)1;
    cv_status st = wav_writer_open(g_path, 0, &w);
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    assert_null(w);
    st = wav_writer_open("/nonexistent-dir/x/out.wav", 16000, &w);
    assert_int_not_equal(st.code, CV_OK);
    assert_null(w);
    assert_non_null(strstr(st.message, "/nonexistent-dir/x/out.wav"));
    assert_int_equal(wav_writer_close(NULL).code, CV_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_after_each_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_valid_without_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_truncates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
