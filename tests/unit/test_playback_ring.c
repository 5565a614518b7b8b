/* Unit tests for the playback jitter buffer (no audio hardware involved):
 * start threshold, underrun counting and rebuffering, end of stream,
 * wrap-around, a full ring, and a real producer/consumer pair of threads
 * checking that every sample comes out once and in order. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audio/playback_ring.h"

static void ramp(int16_t *pcm, size_t n, int16_t from)
{
    for (size_t i = 0; i < n; i++)
        pcm[i] = (int16_t)(from + (int16_t)i);
}

static bool all_zero(const int16_t *pcm, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (pcm[i])
            return false;
    return true;
}

static void test_waits_for_threshold(void **state)
{
    (void)state;
    playback_ring r;
    assert_int_equal(playback_ring_init(&r, 1000, 300), 0);
    int16_t in[400], out[100];
    ramp(in, 400, 1);
    assert_int_equal(playback_ring_write(&r, in, 299), 299);
    memset(out, 0x55, sizeof out);
    assert_int_equal(playback_ring_read(&r, out, 100), 0); /* still buffering */
    assert_true(all_zero(out, 100));
    assert_int_equal(playback_ring_underruns(&r), 0); /* prefill is not an underrun */
    assert_int_equal(playback_ring_buffered(&r), 299);

    assert_int_equal(playback_ring_write(&r, in + 299, 1), 1); /* threshold reached */
    assert_int_equal(playback_ring_read(&r, out, 100), 100);
    assert_memory_equal(out, in, 100 * sizeof *out);
    /* once playing, it plays below the threshold too */
    assert_int_equal(playback_ring_read(&r, out, 100), 100);
    assert_memory_equal(out, in + 100, 100 * sizeof *out);
    assert_int_equal(playback_ring_played(&r), 200);
    playback_ring_free(&r);
}

static void test_underrun_is_counted_and_rebuffers(void **state)
{
    (void)state;
    playback_ring r;
    assert_int_equal(playback_ring_init(&r, 1000, 100), 0);
    int16_t in[300], out[80];
    ramp(in, 300, 1);
    playback_ring_write(&r, in, 150);
    assert_int_equal(playback_ring_read(&r, out, 80), 80);
    /* 70 left: a short read, silence after it, one underrun */
    memset(out, 0x55, sizeof out);
    assert_int_equal(playback_ring_read(&r, out, 80), 70);
    assert_memory_equal(out, in + 80, 70 * sizeof *out);
    assert_true(all_zero(out + 70, 10));
    assert_int_equal(playback_ring_underruns(&r), 1);
    /* rebuffering: 50 samples are not enough to restart, and the silence
     * while waiting counts no further underruns */
    playback_ring_write(&r, in + 150, 50);
    assert_int_equal(playback_ring_read(&r, out, 80), 0);
    assert_int_equal(playback_ring_read(&r, out, 80), 0);
    assert_int_equal(playback_ring_underruns(&r), 1);
    playback_ring_write(&r, in + 200, 50); /* 100 buffered: threshold */
    assert_int_equal(playback_ring_read(&r, out, 80), 80);
    assert_memory_equal(out, in + 150, 80 * sizeof *out);
    assert_false(playback_ring_drained(&r));
    playback_ring_free(&r);
}

static void test_end_of_stream_is_not_an_underrun(void **state)
{
    (void)state;
    playback_ring r;
    assert_int_equal(playback_ring_init(&r, 1000, 500), 0);
    int16_t in[120], out[100];
    ramp(in, 120, 7);
    playback_ring_write(&r, in, 120); /* less than the threshold... */
    assert_int_equal(playback_ring_read(&r, out, 100), 0);
    playback_ring_finish(&r); /* ...but the stream is over: play it */
    assert_false(playback_ring_drained(&r));
    assert_int_equal(playback_ring_read(&r, out, 100), 100);
    assert_memory_equal(out, in, 100 * sizeof *out);
    assert_int_equal(playback_ring_read(&r, out, 100), 20);
    assert_memory_equal(out, in + 100, 20 * sizeof *out);
    assert_true(all_zero(out + 20, 80));
    assert_true(playback_ring_drained(&r));
    assert_int_equal(playback_ring_underruns(&r), 0);
    assert_int_equal(playback_ring_played(&r), 120);
    playback_ring_free(&r);
}

static void test_empty_finished_stream_drains(void **state)
{
    (void)state;
    playback_ring r;
    assert_int_equal(playback_ring_init(&r, 64, 32), 0);
    int16_t out[16];
    playback_ring_finish(&r);
    assert_int_equal(playback_ring_read(&r, out, 16), 0);
    assert_true(playback_ring_drained(&r));
    assert_int_equal(playback_ring_underruns(&r), 0);
    playback_ring_free(&r);
}

static void test_full_ring_and_wraparound(void **state)
{
    (void)state;
    playback_ring r;
    /* threshold above capacity is clamped, so a full ring always starts */
    assert_int_equal(playback_ring_init(&r, 10, 50), 0);
    int16_t in[25], out[10];
    ramp(in, 25, 100);
    assert_int_equal(playback_ring_write(&r, in, 25), 10); /* only 10 fit */
    assert_int_equal(playback_ring_space(&r), 0);
    assert_int_equal(playback_ring_write(&r, in + 10, 1), 0);
    assert_int_equal(playback_ring_read(&r, out, 7), 7);
    assert_memory_equal(out, in, 7 * sizeof *out);
    /* the next write wraps around the end of the storage */
    assert_int_equal(playback_ring_write(&r, in + 10, 7), 7);
    assert_int_equal(playback_ring_read(&r, out, 10), 10);
    assert_memory_equal(out, in + 7, 10 * sizeof *out);
    assert_int_equal(playback_ring_underruns(&r), 0);
    playback_ring_free(&r);
}

/* ---- two threads, as in real use ---- */

#define TOTAL 200000

static void *producer(void *arg)
{
    playback_ring *r = arg;
    int16_t chunk[333];
    size_t sent = 0;
    while (sent < TOTAL) {
        size_t n = TOTAL - sent < 333 ? TOTAL - sent : 333;
        for (size_t i = 0; i < n; i++)
            chunk[i] = (int16_t)((sent + i) % 30000 + 1); /* never 0 (silence) */
        size_t done = 0;
        while (done < n) {
            done += playback_ring_write(r, chunk + done, n - done);
            if (done < n)
                sched_yield();
        }
        sent += n;
    }
    playback_ring_finish(r);
    return NULL;
}

static void test_threads_deliver_every_sample_in_order(void **state)
{
    (void)state;
    playback_ring r;
    assert_int_equal(playback_ring_init(&r, 4096, 1024), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
    int16_t out[256];
    size_t got = 0;
    bool in_order = true;
    while (!playback_ring_drained(&r)) {
        size_t n = playback_ring_read(&r, out, 256);
        for (size_t i = 0; i < n; i++)
            in_order &= out[i] == (int16_t)((got + i) % 30000 + 1);
        /* whatever is not audio is silence */
        in_order &= all_zero(out + n, 256 - n);
        got += n;
        sched_yield();
    }
    pthread_join(t, NULL);
    assert_true(in_order);
    assert_int_equal(got, TOTAL);
    assert_int_equal(playback_ring_played(&r), TOTAL);
    playback_ring_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waits_for_threshold),
        cmocka_unit_test(test_underrun_is_counted_and_rebuffers),
        cmocka_unit_test(test_end_of_stream_is_not_an_underrun),
        cmocka_unit_test(test_empty_finished_stream_drains),
        cmocka_unit_test(test_full_ring_and_wraparound),
        cmocka_unit_test(test_threads_deliver_every_sample_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
