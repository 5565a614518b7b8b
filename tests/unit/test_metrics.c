/* Unit tests for the server's metrics registry and its Prometheus text:
 * counters by label, cumulative histogram buckets with inclusive upper
 * bounds, gauges read from the admission queue. The server's sources are
 * not part of the shared library, so they are compiled in directly. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server/admission.c"
#include "server/metrics.c"

/* The value of the sample line starting with `series ` (-1 if absent). */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    }
    return -1;
}

static char *render(void)
{
    size_t len = 0;
    char *t = metrics_render(&len);
    assert_non_null(t);
    assert_int_equal(strlen(t), len);
    return t;
}

static void test_counters_and_histograms(void **state)
{
    (void)state;
    metrics_set_engine("tone", 22050, 1.25);
    char *t = render();
    assert_true(sample(t, "cosyvoice_calls_total{mode=\"sft\",code=\"OK\"}") == 0);
    /* codes never seen are not listed */
    assert_true(sample(t, "cosyvoice_calls_total{mode=\"sft\",code=\"INTERNAL\"}") < 0);
    assert_true(sample(t, "cosyvoice_engine_load_seconds") == 1.25);
    assert_true(sample(t, "cosyvoice_engine_info{engine=\"tone\",sample_rate=\"22050\"}") == 1);
    assert_true(sample(t, "process_resident_memory_bytes") > 0);
    free(t);

    metrics_observe_call("sft", 0, 0.1, 2.0, 1.0);       /* ttfc exactly on a bound */
    metrics_observe_call("sft", 0, 0.3, 1.0, 2.0);
    metrics_observe_call("instruct", 13, 0.02, 0.5, 0.6);
    metrics_observe_call(NULL, 3, -1, 0, 0.001);          /* rejected before synthesis */
    t = render();
    assert_true(sample(t, "cosyvoice_calls_total{mode=\"sft\",code=\"OK\"}") == 2);
    assert_true(sample(t, "cosyvoice_calls_total{mode=\"instruct\",code=\"INTERNAL\"}") == 1);
    assert_true(sample(t, "cosyvoice_calls_total{mode=\"unknown\",code=\"INVALID_ARGUMENT\"}") ==
                1);
    assert_true(sample(t, "cosyvoice_audio_seconds_total") == 3.5);
    /* ttfc: 0.02, 0.1, 0.3 (the rejected call sent nothing) */
    assert_true(sample(t, "cosyvoice_time_to_first_chunk_seconds_count") == 3);
    assert_true(sample(t, "cosyvoice_time_to_first_chunk_seconds_bucket{le=\"0.01\"}") == 0);
    assert_true(sample(t, "cosyvoice_time_to_first_chunk_seconds_bucket{le=\"0.025\"}") == 1);
    assert_true(sample(t, "cosyvoice_time_to_first_chunk_seconds_bucket{le=\"0.1\"}") == 2);
    assert_true(sample(t, "cosyvoice_time_to_first_chunk_seconds_bucket{le=\"0.25\"}") == 2);
    assert_true(sample(t, "cosyvoice_time_to_first_chunk_seconds_bucket{le=\"0.5\"}") == 3);
    assert_true(sample(t, "cosyvoice_time_to_first_chunk_seconds_bucket{le=\"+Inf\"}") == 3);
    double sum = sample(t, "cosyvoice_time_to_first_chunk_seconds_sum");
    assert_true(sum > 0.419 && sum < 0.421);
    /* every call has a duration; rtf only where there was audio: 0.5, 2, 1.2 */
    assert_true(sample(t, "cosyvoice_call_duration_seconds_count") == 4);
    assert_true(sample(t, "cosyvoice_real_time_factor_count") == 3);
    assert_true(sample(t, "cosyvoice_real_time_factor_bucket{le=\"0.5\"}") == 1);
    assert_true(sample(t, "cosyvoice_real_time_factor_bucket{le=\"1.5\"}") == 2);
    assert_true(sample(t, "cosyvoice_real_time_factor_bucket{le=\"2\"}") == 3);
    free(t);
}

/* A worker body that holds its slot until released. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static bool g_release;

static void blocking_run(admission_item *it, void *ctx)
{
    (void)it, (void)ctx;
    pthread_mutex_lock(&g_mu);
    while (!g_release)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
}

static void test_gauges_follow_admission(void **state)
{
    (void)state;
    admission adm;
    atomic_int live = 3;
    admission_item items[3] = {{0}};
    assert_int_equal(admission_init(&adm, 1, 3, blocking_run, NULL), 0);
    metrics_watch(&adm, &live);
    for (int i = 0; i < 3; i++)
        assert_true(admission_submit(&adm, &items[i]));
    /* wait (no time limit needed: it must happen) for the worker to take one */
    int running = 0, queued = 0;
    while (running != 1) {
        admission_counts(&adm, &running, &queued);
        sched_yield();
    }
    char *t = render();
    assert_true(sample(t, "cosyvoice_calls_in_flight") == 3);
    assert_true(sample(t, "cosyvoice_calls_running") == 1);
    assert_true(sample(t, "cosyvoice_calls_queued") == 2);
    free(t);
    pthread_mutex_lock(&g_mu);
    g_release = true;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
    metrics_watch(NULL, NULL); /* detached before the queue goes away */
    admission_shutdown(&adm);
    t = render();
    assert_true(sample(t, "cosyvoice_calls_in_flight") == 0);
    assert_true(sample(t, "cosyvoice_calls_running") == 0);
    free(t);
}

static void test_every_line_is_exposition_format(void **state)
{
    (void)state;
    char *t = render();
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') {
            assert_true(strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0);
            continue;
        }
        const char *sp = strrchr(line, ' ');
        assert_non_null(sp);
        char *end;
        strtod(sp + 1, &end);
        assert_true(*end == '\0' && end > sp + 1);
    }
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counters_and_histograms),
        cmocka_unit_test(test_gauges_follow_admission),
        cmocka_unit_test(test_every_line_is_exposition_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
