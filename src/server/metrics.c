/* The metrics registry and its text rendering (the HTTP side is in
 * metrics_http.c). One mutex guards everything: observations happen once
 * per call and scrapes every few seconds, so contention is negligible. */
#include "server/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/status.h"
#include "engine/engine.h"

#define N_MODES (TTS_MODE_COUNT + 1) /* the last one is "unknown" */
#define N_CODES 17                   /* gRPC status codes 0..16 */
#define MAX_BUCKETS 16

typedef struct histogram {
    const char *name, *help;
    size_t n;                     /* finite upper bounds */
    double le[MAX_BUCKETS];
    unsigned long long counts[MAX_BUCKETS + 1]; /* per bucket, last is +Inf */
    unsigned long long count;
    double sum;
} histogram;

static struct {
    pthread_mutex_t mu;
    unsigned long long calls[N_MODES][N_CODES];
    double audio_seconds;
    unsigned long long send_timeouts;
    histogram ttfc, duration, rtf;
    char engine[64];
    int sample_rate;
    double load_seconds;
    admission *adm;
    atomic_int *live;
    void (*sections[4])(FILE *f);
} g = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .ttfc = {"cosyvoice_time_to_first_chunk_seconds",
             "Seconds from a call's arrival to its first audio chunk.", 11,
             {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}},
    .duration = {"cosyvoice_call_duration_seconds",
                 "Seconds from a call's arrival to its final status.", 12,
                 {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}},
    .rtf = {"cosyvoice_real_time_factor",
            "Call duration divided by the audio seconds it produced (below 1 is faster "
            "than real time).", 11,
            {0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5}},
};

static void observe(histogram *h, double v)
{
    size_t i = 0;
    while (i < h->n && v > h->le[i])
        i++;
    h->counts[i]++;
    h->count++;
    h->sum += v;
}

void metrics_set_engine(const char *name, int sample_rate, double load_seconds)
{
    pthread_mutex_lock(&g.mu);
    snprintf(g.engine, sizeof g.engine, "%s", name);
    g.sample_rate = sample_rate;
    g.load_seconds = load_seconds;
    pthread_mutex_unlock(&g.mu);
}

void metrics_watch(admission *adm, atomic_int *live_calls)
{
    pthread_mutex_lock(&g.mu);
    g.adm = adm;
    g.live = live_calls;
    pthread_mutex_unlock(&g.mu);
}

void metrics_observe_call(const char *mode, int code, double ttfc, double audio_s,
                          double total_s)
{
    int m = mode ? tts_mode_parse(mode) : -1;
    if (m < 0)
        m = TTS_MODE_COUNT;
    if (code < 0 || code >= N_CODES)
        code = CV_UNKNOWN;
    pthread_mutex_lock(&g.mu);
    g.calls[m][code]++;
    g.audio_seconds += audio_s;
    if (ttfc >= 0)
        observe(&g.ttfc, ttfc);
    observe(&g.duration, total_s);
    if (audio_s > 0)
        observe(&g.rtf, total_s / audio_s);
    pthread_mutex_unlock(&g.mu);
}

void metrics_add_section(void (*render)(FILE *f))
{
    pthread_mutex_lock(&g.mu);
    for (int i = 0; i < 4; i++)
        if (!g.sections[i]) {
            g.sections[i] = render;
            break;
        }
    pthread_mutex_unlock(&g.mu);
}

void metrics_count_send_timeout(void)
{
    pthread_mutex_lock(&g.mu);
    g.send_timeouts++;
    pthread_mutex_unlock(&g.mu);
}

static const char *code_label(int code)
{
    static const char *const names[N_CODES] = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED"};
    return names[code];
}

static void render_histogram(FILE *f, const histogram *h)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", h->name, h->help, h->name);
    unsigned long long cum = 0;
    for (size_t i = 0; i < h->n; i++) {
        cum += h->counts[i];
        fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", h->name, h->le[i], cum);
    }
    fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9g\n%s_count %llu\n", h->name, h->count,
            h->name, h->sum, h->name, h->count);
}

/* Resident set size from /proc/self/statm (second field, in pages). */
static double resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : 0;
}

char *metrics_render(size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    double rss = resident_bytes();
    pthread_mutex_lock(&g.mu);
    int running = 0, queued = 0, live = 0;
    if (g.adm)
        admission_counts(g.adm, &running, &queued);
    if (g.live)
        live = atomic_load(g.live);

    fprintf(f, "# HELP cosyvoice_calls_total Finished Inference calls by request mode and final "
               "gRPC status.\n# TYPE cosyvoice_calls_total counter\n");
    for (int m = 0; m < N_MODES; m++) {
        const char *mode = m < TTS_MODE_COUNT ? tts_mode_name((tts_mode)m) : "unknown";
        for (int c = 0; c < N_CODES; c++) {
            /* OK is always listed for the real modes, so rates start at 0. */
            if (g.calls[m][c] || (c == 0 && m < TTS_MODE_COUNT))
                fprintf(f, "cosyvoice_calls_total{mode=\"%s\",code=\"%s\"} %llu\n", mode,
                        code_label(c), g.calls[m][c]);
        }
    }
    fprintf(f, "# HELP cosyvoice_calls_in_flight Inference calls received and not yet over.\n"
               "# TYPE cosyvoice_calls_in_flight gauge\ncosyvoice_calls_in_flight %d\n", live);
    fprintf(f, "# HELP cosyvoice_calls_running Calls holding a synthesis slot.\n"
               "# TYPE cosyvoice_calls_running gauge\ncosyvoice_calls_running %d\n", running);
    fprintf(f, "# HELP cosyvoice_calls_queued Calls waiting for a synthesis slot.\n"
               "# TYPE cosyvoice_calls_queued gauge\ncosyvoice_calls_queued %d\n", queued);
    fprintf(f, "# HELP cosyvoice_send_timeouts_total Calls cancelled because no audio could be "
               "sent to the client for --send-timeout seconds.\n"
               "# TYPE cosyvoice_send_timeouts_total counter\n"
               "cosyvoice_send_timeouts_total %llu\n", g.send_timeouts);
    render_histogram(f, &g.ttfc);
    render_histogram(f, &g.duration);
    render_histogram(f, &g.rtf);
    fprintf(f, "# HELP cosyvoice_audio_seconds_total Seconds of audio sent to clients.\n"
               "# TYPE cosyvoice_audio_seconds_total counter\n"
               "cosyvoice_audio_seconds_total %.9f\n", g.audio_seconds);
    fprintf(f, "# HELP cosyvoice_engine_load_seconds Seconds the engine took to load.\n"
               "# TYPE cosyvoice_engine_load_seconds gauge\n"
               "cosyvoice_engine_load_seconds %.6f\n", g.load_seconds);
    fprintf(f, "# HELP cosyvoice_engine_info The synthesis engine in use.\n"
               "# TYPE cosyvoice_engine_info gauge\n"
               "cosyvoice_engine_info{engine=\"%s\",sample_rate=\"%d\"} 1\n", g.engine,
            g.sample_rate);
    void (*sections[4])(FILE *f);
    memcpy(sections, g.sections, sizeof sections);
    pthread_mutex_unlock(&g.mu);
    for (int i = 0; i < 4 && sections[i]; i++)
        sections[i](f);
    fprintf(f, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
               "# TYPE process_resident_memory_bytes gauge\n"
               "process_resident_memory_bytes %.0f\n", rss);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}
