/* Unit tests for the streaming encoder: bytes taken piece by piece while
 * audio is written must make a stream libsndfile (an independent reader for
 * these purposes: it decodes with libFLAC, mpg123 and libopus) reads back
 * as the same audio; a stream finished before anything was taken is a
 * complete file with exact sizes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sndfile.h>

#include "audio/stream_encoder.h"

typedef struct membuf {
    uint8_t *b;
    size_t len;
    sf_count_t pos;
} membuf;

static void append(membuf *m, const uint8_t *p, size_t n)
{
    m->b = realloc(m->b, m->len + n);
    assert_non_null(m->b);
    memcpy(m->b + m->len, p, n);
    m->len += n;
}

static sf_count_t m_len(void *u) { return (sf_count_t)((membuf *)u)->len; }
static sf_count_t m_seek(sf_count_t o, int w, void *u)
{
    membuf *m = u;
    m->pos = w == SEEK_SET ? o : w == SEEK_CUR ? m->pos + o : (sf_count_t)m->len + o;
    return m->pos;
}
static sf_count_t m_read(void *p, sf_count_t n, void *u)
{
    membuf *m = u;
    if (m->pos >= (sf_count_t)m->len)
        return 0;
    if (n > (sf_count_t)m->len - m->pos)
        n = (sf_count_t)m->len - m->pos;
    memcpy(p, m->b + m->pos, (size_t)n);
    m->pos += n;
    return n;
}
static sf_count_t m_write(const void *p, sf_count_t n, void *u) { (void)p, (void)u; return n; }
static sf_count_t m_tell(void *u) { return ((membuf *)u)->pos; }

/* Decodes a whole stream: samples (as floats) and the rate. Reads in blocks
 * until the end, as a streaming reader would (headers may not know the
 * length). */
static float *decode(membuf *m, int *rate, size_t *n)
{
    SF_VIRTUAL_IO io = {m_len, m_seek, m_read, m_write, m_tell};
    SF_INFO info = {0};
    m->pos = 0;
    SNDFILE *sf = sf_open_virtual(&io, SFM_READ, &info, m);
    assert_non_null(sf);
    *rate = info.samplerate;
    size_t cap = 1 << 16, len = 0;
    float *out = malloc(cap * sizeof *out);
    for (;;) {
        if (len + 4096 > cap)
            out = realloc(out, (cap *= 2) * sizeof *out);
        sf_count_t got = sf_read_float(sf, out + len, 4096);
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    sf_close(sf);
    *n = len;
    return out;
}

static void tone(int16_t *pcm, size_t n, size_t offset)
{
    for (size_t i = 0; i < n; i++)
        pcm[i] = (int16_t)(12000 * sin(2 * M_PI * 440.0 * (double)(i + offset) / 22050));
}

/* Writes `pieces` pieces of 2205 samples, taking bytes after each, then
 * finishes and takes the rest. */
static membuf stream(audio_format f, int out_rate, int pieces, bool take_each)
{
    stream_encoder *e;
    assert_int_equal(stream_encoder_open(f, 22050, out_rate, &e).code, CV_OK);
    membuf m = {0};
    int16_t pcm[2205];
    size_t n;
    uint8_t *b;
    for (int k = 0; k < pieces; k++) {
        tone(pcm, 2205, (size_t)k * 2205);
        assert_int_equal(stream_encoder_write(e, pcm, 2205).code, CV_OK);
        if (take_each && (b = stream_encoder_take(e, &n))) {
            append(&m, b, n);
            free(b);
        }
    }
    assert_int_equal(stream_encoder_finish(e).code, CV_OK);
    if ((b = stream_encoder_take(e, &n))) {
        append(&m, b, n);
        free(b);
    }
    assert_null(stream_encoder_take(e, &n));
    stream_encoder_free(e);
    return m;
}

static void test_formats_parse(void **state)
{
    (void)state;
    for (int i = 0; i < AUDIO_FMT_COUNT; i++)
        assert_int_equal(audio_format_parse(audio_format_name((audio_format)i)), i);
    assert_int_equal(audio_format_parse("aac"), -1);
    assert_int_equal(audio_format_parse(NULL), -1);
    assert_string_equal(audio_format_mime(AUDIO_FMT_MP3), "audio/mpeg");
}

static void test_pcm_is_raw_little_endian(void **state)
{
    (void)state;
    membuf m = stream(AUDIO_FMT_PCM, 0, 3, true);
    assert_int_equal(m.len, 3 * 2205 * 2);
    int16_t pcm[2205];
    tone(pcm, 2205, 0);
    for (int i = 0; i < 2205; i++)
        assert_int_equal((int16_t)(m.b[2 * i] | m.b[2 * i + 1] << 8), pcm[i]);
    free(m.b);
}

static void test_pcm_resampled(void **state)
{
    (void)state;
    membuf m = stream(AUDIO_FMT_PCM, 24000, 10, true);
    /* 1 s at 22050 Hz becomes 1 s at 24000 Hz (the resampler's flush included) */
    assert_true(labs((long)(m.len / 2) - 24000) <= 2);
    free(m.b);
}

/* Every container, streamed piece by piece and finished at once, decodes to
 * 1 s of the tone at its rate. */
static void check_decodes(audio_format f, int want_rate, double tolerance_s)
{
    for (int each = 0; each < 2; each++) {
        membuf m = stream(f, 0, 10, each);
        int rate;
        size_t n;
        float *x = decode(&m, &rate, &n);
        assert_int_equal(rate, want_rate);
        double secs = (double)n / rate;
        if (fabs(secs - 1.0) > tolerance_s)
            fail_msg("%s (take_each %d): %.4f s decoded", audio_format_name(f), each, secs);
        /* The middle half holds the tone's loudness (codec start-up and
         * the end's padding aside): RMS of 12000/32768 / sqrt(2). */
        double sum = 0;
        for (size_t i = n / 4; i < 3 * n / 4; i++)
            sum += (double)x[i] * x[i];
        double rms = sqrt(sum / (double)(n / 2)), want = 12000.0 / 32768 / sqrt(2);
        if (fabs(rms - want) > 0.1 * want)
            fail_msg("%s: RMS %.4f, the tone's is %.4f", audio_format_name(f), rms, want);
        free(x);
        free(m.b);
    }
}

static void test_wav_streamed_and_whole(void **state)
{
    (void)state;
    check_decodes(AUDIO_FMT_WAV, 22050, 0.0);
    /* Taken before the end: both sizes say "unknown"; whole: exact sizes. */
    membuf s = stream(AUDIO_FMT_WAV, 0, 2, true), w = stream(AUDIO_FMT_WAV, 0, 2, false);
    uint32_t riff_s, riff_w, data_w;
    memcpy(&riff_s, s.b + 4, 4);
    memcpy(&riff_w, w.b + 4, 4);
    memcpy(&data_w, w.b + 40, 4);
    assert_int_equal(riff_s, 0xffffffffu);
    assert_int_equal(riff_w, w.len - 8);
    assert_int_equal(data_w, 2 * 2205 * 2);
    assert_int_equal(s.len, w.len);
    free(s.b);
    free(w.b);
}

static void test_mp3(void **state)
{
    (void)state;
    check_decodes(AUDIO_FMT_MP3, 22050, 0.08); /* encoder delay and frame padding */
}

static void test_opus_at_an_opus_rate(void **state)
{
    (void)state;
    check_decodes(AUDIO_FMT_OPUS, 24000, 0.03);
}

static void test_flac_whole(void **state)
{
    (void)state;
    /* libsndfile reads a FLAC with known length; the streamed one (length
     * unknown, valid FLAC) is decoded by sox in the end-to-end test. */
    membuf m = stream(AUDIO_FMT_FLAC, 0, 10, false);
    int rate;
    size_t n;
    float *x = decode(&m, &rate, &n);
    assert_int_equal(rate, 22050);
    assert_int_equal(n, 22050);
    free(x);
    free(m.b);
    membuf s = stream(AUDIO_FMT_FLAC, 0, 10, true);
    assert_memory_equal(s.b, "fLaC", 4);
    free(s.b);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    stream_encoder *e;
    assert_int_equal(stream_encoder_open(AUDIO_FMT_COUNT, 22050, 0, &e).code, CV_INVALID_ARGUMENT);
    assert_int_equal(stream_encoder_open(AUDIO_FMT_WAV, 0, 0, &e).code, CV_INVALID_ARGUMENT);
    assert_int_equal(stream_encoder_open(AUDIO_FMT_PCM, 22050, 0, &e).code, CV_OK);
    assert_int_equal(stream_encoder_finish(e).code, CV_OK);
    int16_t x = 0;
    assert_int_equal(stream_encoder_write(e, &x, 1).code, CV_INTERNAL);
    stream_encoder_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_parse),   cmocka_unit_test(test_pcm_is_raw_little_endian),
        cmocka_unit_test(test_pcm_resampled),   cmocka_unit_test(test_wav_streamed_and_whole),
        cmocka_unit_test(test_mp3),             cmocka_unit_test(test_opus_at_an_opus_rate),
        cmocka_unit_test(test_flac_whole),      cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
