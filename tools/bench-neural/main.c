/* cosyvoice-bench-neural --model-dir DIR [--threads N] [--tokens N]
 *                        [--text TEXT] [--no-stream] [--first-hop N] [--int8]
 *                        [--calls N] [--cancel-after SECONDS] [--lm-yield auto|on|off]
 *
 * Times the cosyvoice engine's call path (text front end -> LM thread ->
 * streaming token-to-audio) on one request, without the server: model load
 * time, time to first chunk, LM tokens/s, flow and vocoder real-time
 * factors, overall real-time factor, and memory (resident after loading,
 * peak during the call). With random weights the LM would rarely stop, so
 * --tokens forces that many speech tokens (eos ignored). --cancel-after
 * cancels the call that many seconds after it starts (as a client that
 * goes away would) and reports how long the engine took to give up.
 * --lm-yield is the engine's lm_yield option (default off). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "engine/cosyvoice/cv_call.h"
#include "engine/cosyvoice/cv_model.h"
#include "nn/matmul.h"
#include "nn/backend.h"
#include "nn/weights.h"

static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t k = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, k)) v = atol(line + k + 1);
    if (f) fclose(f);
    return v;
}

/* Resets VmHWM so the call's own peak can be read afterwards. */
static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

typedef struct null_sink {
    tts_sink base;
    size_t samples;
    double cancel_at; /* cv_now() from which the call counts as cancelled; 0: never */
} null_sink;

static bool ns_write(tts_sink *s, const int16_t *pcm, size_t n)
{
    (void)pcm;
    ((null_sink *)s)->samples += n;
    return true;
}
static bool ns_cancelled(tts_sink *s)
{
    double at = ((null_sink *)s)->cancel_at;
    return at > 0 && cv_now() >= at;
}

/* one call of --calls N, on its own thread */
typedef struct job {
    cv_model *m;
    const cv_settings *set;
    tts_request req;
    cv_conditioning cond;
    null_sink sink;
    double cancel_after;
    cv_call_stats stats;
    cv_status st;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    double t0 = cv_now();
    j->sink = (null_sink){{ns_write, ns_cancelled}, 0, j->cancel_after > 0 ? t0 + j->cancel_after : 0};
    j->st = cv_call_run(j->m, j->set, &j->req, &j->cond, t0, &j->sink.base, &j->stats);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    const char *text = "The quick brown fox jumps over the lazy dog near the quiet river bank, "
                       "while two small children watch from the old stone bridge and laugh.";
    int threads = 2, tokens = 100, first_hop = 0, int8 = 0, bf16 = 0, calls = 1;
    double cancel_after = 0;
    bool stream = true;
    const char *lm_yield = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model-dir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--tokens") && i + 1 < argc) tokens = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--text") && i + 1 < argc) text = argv[++i];
        else if (!strcmp(argv[i], "--first-hop") && i + 1 < argc) first_hop = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-stream")) stream = false;
        else if (!strcmp(argv[i], "--int8")) int8 = 1;
        else if (!strcmp(argv[i], "--bf16")) bf16 = 1;
        else if (!strcmp(argv[i], "--calls") && i + 1 < argc) calls = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cancel-after") && i + 1 < argc) cancel_after = atof(argv[++i]);
        else if (!strcmp(argv[i], "--lm-yield") && i + 1 < argc) lm_yield = argv[++i];
        else {
            fprintf(stderr, "usage: cosyvoice-bench-neural --model-dir DIR [--threads N] "
                            "[--tokens N] [--text TEXT] [--no-stream] [--first-hop N] [--int8] [--bf16] [--calls N] "
                            "[--cancel-after SECONDS] [--lm-yield auto|on|off]\n");
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "cosyvoice-bench-neural: --model-dir is required\n");
        return 2;
    }
    char opt_tokens[32], opt_hop[32], opt_yield[64];
    const char *params[6];
    size_t np = 0;
    snprintf(opt_tokens, sizeof opt_tokens, "fixed_tokens=%d", tokens);
    params[np++] = opt_tokens;
    params[np++] = "seed=1";
    if (first_hop > 0) {
        snprintf(opt_hop, sizeof opt_hop, "first_hop=%d", first_hop);
        params[np++] = opt_hop;
    }
    if (int8) params[np++] = "lm_int8=1";
    if (bf16) params[np++] = "precision=bf16";
    if (lm_yield) {
        snprintf(opt_yield, sizeof opt_yield, "lm_yield=%.50s", lm_yield);
        params[np++] = opt_yield;
    }
    cv_settings set;
    cv_status st = cv_settings_parse(params, np, threads, &set);
    if (!cv_is_ok(&st)) {
        fprintf(stderr, "cosyvoice-bench-neural: %s\n", st.message);
        return 2;
    }
    nn_set_threads(threads);
    double t0 = cv_now();
    cv_model *m = NULL;
    st = cv_model_load(dir, &set, &m);
    if (!cv_is_ok(&st)) {
        fprintf(stderr, "cosyvoice-bench-neural: %s\n", st.message);
        return 1;
    }
    nn_backend_print(stdout, threads);
    printf("precision: %s weights for flow, vocoder and LM products%s\n",
           nn_precision_name(nn_get_precision()), int8 ? "; LM decoding int8" : "");
    double load = cv_now() - t0;
    long rss_loaded = status_kb("VmRSS:");
    if (m->n_speakers < 1) {
        fprintf(stderr, "cosyvoice-bench-neural: no speakers in spk2info.pt\n");
        cv_model_free(m);
        return 1;
    }
    /* sft with the first speaker: v1 an x-vector, v2/v3 a saved voice (its
       prompt conditions the LM and the flow, as the engine does) */
    cv_conditioning cond = {0};
    cv_conditioning_for_voice(m, m->speaker_voices[0], m->speaker_embeddings[0], true, &cond);
    tts_request req = {.mode = TTS_MODE_SFT, .tts_text = text, .spk_id = m->speaker_names[0],
                       .prompt_text = "", .instruct_text = "", .speed = 1.0f,
                       .stream = stream, .request_id = "bench"};
    if (calls < 1 || calls > 16) calls = 1;
    job jobs[16];
    pthread_t th[16];
    reset_peak();
    double cpu0 = t2w_process_cpu();
    for (int i = 0; i < calls; i++) {
        jobs[i] = (job){.m = m, .set = &set, .req = req, .cond = cond, .cancel_after = cancel_after};
        pthread_create(&th[i], NULL, run_job, &jobs[i]);
    }
    for (int i = 0; i < calls; i++) pthread_join(th[i], NULL);
    double call_cpu = t2w_process_cpu() - cpu0;
    long hwm = status_kb("VmHWM:");
    cv_call_stats s = jobs[0].stats;
    for (int i = 1; i < calls && cv_is_ok(&jobs[0].st); i++)
        if (!cv_is_ok(&jobs[i].st)) jobs[0].st = jobs[i].st;
    st = jobs[0].st;
    if (cancel_after > 0) {
        /* stats.t_end is when cv_call_run finished, LM thread joined */
        printf("cancel               at %.2f s into the call; the call returned %s %.3f s later "
               "(%d chunk(s), %d speech tokens made)\n",
               cancel_after, cv_code_name(st.code), s.t_end - (s.t_start + cancel_after),
               s.chunks, s.tokens);
        cv_model_free(m);
        return st.code == CV_CANCELLED ? 0 : 1;
    }
    if (!cv_is_ok(&st)) {
        fprintf(stderr, "cosyvoice-bench-neural: %s\n", st.message);
        cv_model_free(m);
        return 1;
    }
    double audio = (double)s.samples / m->sample_rate, total = s.t_end - s.t_start;
    printf("mode                 %s, %d threads, %d speech tokens forced, %d segment(s), "
           "%d concurrent call(s) (figures of the first)\n",
           stream ? "streaming" : "non-streaming", threads, tokens, s.segments, calls);
    printf("load                 %.2f s\n", load);
    printf("first chunk          %.3f s (front end %.3f, LM first token %.3f, first hop ready "
           "%.3f, flow %.3f, vocoder %.3f)\n",
           s.t_first_chunk - s.t_start, s.t_frontend_done - s.t_start,
           s.t_first_token - s.t_lm_start, s.t_first_ready - s.t_lm_start, s.first_flow,
           s.first_vocoder);
    printf("chunks               %d, audio %.2f s\n", s.chunks, audio);
    double lm_run = s.lm_seconds - s.lm_parked; /* parked: not decoding */
    printf("LM                   %.2f tokens/s (%d tokens in %.2f s, %.2f s of it parked)\n",
           lm_run > 0 ? s.tokens / lm_run : 0.0, s.tokens, s.lm_seconds, s.lm_parked);
    printf("flow RTF             %.3f\n", s.flow_seconds / audio);
    printf("vocoder RTF          %.3f\n", s.vocoder_seconds / audio);
    printf("overall RTF          %.3f (%.2f s for %.2f s of audio)\n", total / audio, total, audio);
    printf("lm_yield             %s (%s, %d online CPUs): LM parked %d time(s), %.2f s\n",
           set.lm_yield ? "on" : "off", set.lm_yield_mode, set.online_cpus, s.lm_parks,
           s.lm_parked);
    /* what the cores had to do before the first chunk: with other load on
     * them the wall clock grows, this does not */
    printf("process CPU          %.2f s during the call(s), %.2f s of it until the first "
           "chunk\n", call_cpu, s.cpu_first_chunk > 0 ? s.cpu_first_chunk - cpu0 : 0.0);
    if (!stream)
        printf("CPU seconds          LM %.2f, flow %.2f, vocoder %.2f (best case with %d free "
               "cores, CPU / cores: LM %.2f tokens/s, flow RTF %.3f, vocoder RTF %.3f)\n",
               s.lm_cpu, s.flow_cpu, s.vocoder_cpu, threads,
               s.lm_cpu > 0 ? s.tokens / (s.lm_cpu / threads) : 0.0,
               s.flow_cpu / threads / audio, s.vocoder_cpu / threads / audio);
    printf("memory               %.0f MB resident after load, peak +%.0f MB during the "
           "call(s), %d flow instance(s)\n",
           rss_loaded / 1024.0, (hwm - rss_loaded) / 1024.0,
           m->flow ? flow_pool_size(m->flow) : instance_pool_size(m->causal_flows));
    cv_model_free(m);
    return 0;
}
