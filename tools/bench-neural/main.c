/* cosyvoice-bench-neural --model-dir DIR [--threads N] [--tokens N]
 *                        [--text TEXT] [--no-stream] [--first-hop N] [--int8]
 *
 * Times the cosyvoice engine's call path (text front end -> LM thread ->
 * streaming token-to-audio) on one request, without the server: model load
 * time, time to first chunk, LM tokens/s, flow and vocoder real-time
 * factors, overall real-time factor, and memory (resident after loading,
 * peak during the call). With random weights the LM would rarely stop, so
 * --tokens forces that many speech tokens (eos ignored). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "engine/cosyvoice/cv_call.h"
#include "engine/cosyvoice/cv_model.h"
#include "nn/matmul.h"

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
} null_sink;

static bool ns_write(tts_sink *s, const int16_t *pcm, size_t n)
{
    (void)pcm;
    ((null_sink *)s)->samples += n;
    return true;
}
static bool ns_cancelled(tts_sink *s)
{
    (void)s;
    return false;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    const char *text = "The quick brown fox jumps over the lazy dog near the quiet river bank, "
                       "while two small children watch from the old stone bridge and laugh.";
    int threads = 2, tokens = 100, first_hop = 0, int8 = 0;
    bool stream = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model-dir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--tokens") && i + 1 < argc) tokens = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--text") && i + 1 < argc) text = argv[++i];
        else if (!strcmp(argv[i], "--first-hop") && i + 1 < argc) first_hop = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-stream")) stream = false;
        else if (!strcmp(argv[i], "--int8")) int8 = 1;
        else {
            fprintf(stderr, "usage: cosyvoice-bench-neural --model-dir DIR [--threads N] "
                            "[--tokens N] [--text TEXT] [--no-stream] [--first-hop N] [--int8]\n");
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "cosyvoice-bench-neural: --model-dir is required\n");
        return 2;
    }
    char opt_tokens[32], opt_hop[32];
    const char *params[4];
    size_t np = 0;
    snprintf(opt_tokens, sizeof opt_tokens, "fixed_tokens=%d", tokens);
    params[np++] = opt_tokens;
    params[np++] = "seed=1";
    if (first_hop > 0) {
        snprintf(opt_hop, sizeof opt_hop, "first_hop=%d", first_hop);
        params[np++] = opt_hop;
    }
    if (int8) params[np++] = "lm_int8=1";
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
    double load = cv_now() - t0;
    long rss_loaded = status_kb("VmRSS:");
    if (m->n_speakers < 1) {
        fprintf(stderr, "cosyvoice-bench-neural: no speakers in spk2info.pt\n");
        cv_model_free(m);
        return 1;
    }
    const float *emb = m->speaker_embeddings[0];
    cv_conditioning cond = {.llm_embedding = emb, .flow_embedding = emb};
    tts_request req = {.mode = TTS_MODE_SFT, .tts_text = text, .spk_id = m->speaker_names[0],
                       .prompt_text = "", .instruct_text = "", .speed = 1.0f,
                       .stream = stream, .request_id = "bench"};
    null_sink sink = {{ns_write, ns_cancelled}, 0};
    cv_call_stats s;
    reset_peak();
    st = cv_call_run(m, &set, &req, &cond, cv_now(), &sink.base, &s);
    long hwm = status_kb("VmHWM:");
    if (!cv_is_ok(&st)) {
        fprintf(stderr, "cosyvoice-bench-neural: %s\n", st.message);
        cv_model_free(m);
        return 1;
    }
    double audio = (double)s.samples / m->sample_rate, total = s.t_end - s.t_start;
    printf("mode                 %s, %d threads, %d speech tokens forced, %d segment(s)\n",
           stream ? "streaming" : "non-streaming", threads, tokens, s.segments);
    printf("load                 %.2f s\n", load);
    printf("first chunk          %.3f s (front end %.3f, LM first token %.3f, first hop ready "
           "%.3f, flow %.3f, vocoder %.3f)\n",
           s.t_first_chunk - s.t_start, s.t_frontend_done - s.t_start,
           s.t_first_token - s.t_lm_start, s.t_first_ready - s.t_lm_start, s.first_flow,
           s.first_vocoder);
    printf("chunks               %d, audio %.2f s\n", s.chunks, audio);
    printf("LM                   %.2f tokens/s (%d tokens in %.2f s)\n",
           s.lm_seconds > 0 ? s.tokens / s.lm_seconds : 0.0, s.tokens, s.lm_seconds);
    printf("flow RTF             %.3f\n", s.flow_seconds / audio);
    printf("vocoder RTF          %.3f\n", s.vocoder_seconds / audio);
    printf("overall RTF          %.3f (%.2f s for %.2f s of audio)\n", total / audio, total, audio);
    printf("memory               %.0f MB resident after load, call peak +%.0f MB\n",
           rss_loaded / 1024.0, (hwm - rss_loaded) / 1024.0);
    cv_model_free(m);
    return 0;
}
