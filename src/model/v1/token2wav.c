/* Token-to-audio step with the streaming caches; see token2wav.h. */
#include "model/v1/token2wav.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timeutil.h"
#include "model/v1/length_regulator.h"

struct t2w_state {
    flow_pool *flow;
    const hift_model *hift;
    t2w_params p;
    t2w_prompt prompt;
    nn_noise *noise;
    cv_stop stop; /* polled between flow steps and before the vocoder */
    int C; /* mel bins */
    double *mel_window, *speech_window;
    /* flow (z, mu) cache [C][flow_cache_frames][2] */
    float *flow_cache;
    int flow_cache_frames;
    /* mel frames held back by the previous chunk [C][mel_overlap] */
    float *mel_overlap;
    bool have_overlap;
    /* vocoder cache: mel [C][mel_cache], source and speech [source_cache] */
    float *cache_mel, *cache_source, *cache_speech;
    bool have_hift_cache;
};

t2w_params t2w_params_default(int frame_rate, int sample_rate, int samples_per_frame)
{
    t2w_params p;
    p.frame_rate = frame_rate;
    p.sample_rate = sample_rate;
    p.samples_per_frame = samples_per_frame;
    p.token_min_hop = 2 * frame_rate;
    p.token_max_hop = 4 * frame_rate;
    p.token_overlap = 20;
    p.first_hop = p.token_min_hop;
    p.scale = 1.0f;
    p.mel_overlap = (int)((double)p.token_overlap / frame_rate * sample_rate / samples_per_frame);
    p.mel_cache = 20;
    p.source_cache = p.mel_cache * samples_per_frame;
    return p;
}

cv_status t2w_params_check(const t2w_params *p)
{
    if (p->frame_rate < 1 || p->samples_per_frame < 1 || p->sample_rate < 1)
        return cv_error(CV_INVALID_ARGUMENT, "token2wav: bad rates");
    if (p->token_min_hop < 1 || p->token_max_hop < p->token_min_hop || p->token_overlap < 0 ||
        p->first_hop < 1 || p->first_hop > p->token_max_hop)
        return cv_error(CV_INVALID_ARGUMENT,
                        "token2wav: hops must satisfy 1 <= first (%d) <= max (%d), 1 <= min (%d) <= max",
                        p->first_hop, p->token_max_hop, p->token_min_hop);
    if (!(p->scale >= 1.0f) || p->scale > 100.0f)
        return cv_error(CV_INVALID_ARGUMENT, "token2wav: stream scale factor %g must be >= 1",
                        (double)p->scale);
    if (p->mel_overlap < 0 || p->mel_cache < 0 ||
        p->source_cache != p->mel_cache * p->samples_per_frame)
        return cv_error(CV_INVALID_ARGUMENT, "token2wav: inconsistent mel/source caches");
    /* A streamed chunk must leave speech after holding back the overlap and
     * the vocoder cache, or there is nothing to cross-fade with. */
    int frames = lr_mel_frames(p->first_hop + p->token_overlap, p->frame_rate);
    if (frames - p->mel_overlap <= p->mel_cache)
        return cv_error(CV_INVALID_ARGUMENT,
                        "token2wav: first hop of %d tokens is too short (its %d mel frames do "
                        "not exceed the %d held back)",
                        p->first_hop, frames, p->mel_overlap + p->mel_cache);
    return cv_ok();
}

cv_status t2w_new(flow_pool *flow, const hift_model *hift, const t2w_params *p,
                  const t2w_prompt *prompt, nn_noise *noise, t2w_state **out)
{
    *out = NULL;
    cv_status st = t2w_params_check(p);
    if (!cv_is_ok(&st)) return st;
    const flow_config *fc = flow_pool_cfg(flow);
    if (p->samples_per_frame != hift_samples_per_frame(hift) ||
        fc->output_size != hift_get_config(hift)->in_channels)
        return cv_error(CV_INVALID_ARGUMENT, "token2wav: flow and vocoder sizes disagree");
    if (!prompt->embedding)
        return cv_error(CV_INVALID_ARGUMENT, "token2wav: no speaker embedding");
    t2w_state *s = calloc(1, sizeof *s);
    if (!s) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    s->flow = flow;
    s->hift = hift;
    s->p = *p;
    s->prompt = *prompt;
    s->noise = noise;
    s->C = fc->output_size;
    s->mel_window = malloc((size_t)(2 * p->mel_overlap + 1) * sizeof(double));
    s->speech_window = malloc((size_t)(2 * p->source_cache + 1) * sizeof(double));
    s->mel_overlap = malloc((size_t)(s->C * p->mel_overlap + 1) * sizeof(float));
    s->cache_mel = malloc((size_t)(s->C * p->mel_cache + 1) * sizeof(float));
    s->cache_source = malloc((size_t)(p->source_cache + 1) * sizeof(float));
    s->cache_speech = malloc((size_t)(p->source_cache + 1) * sizeof(float));
    if (!s->mel_window || !s->speech_window || !s->mel_overlap || !s->cache_mel ||
        !s->cache_source || !s->cache_speech) {
        t2w_free(s);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    t2w_hamming(s->mel_window, 2 * p->mel_overlap);
    t2w_hamming(s->speech_window, 2 * p->source_cache);
    *out = s;
    return cv_ok();
}

void t2w_free(t2w_state *s)
{
    if (!s) return;
    free(s->mel_window);
    free(s->speech_window);
    free(s->flow_cache);
    free(s->mel_overlap);
    free(s->cache_mel);
    free(s->cache_source);
    free(s->cache_speech);
    free(s);
}

const t2w_params *t2w_get_params(const t2w_state *s) { return &s->p; }

void t2w_set_stop(t2w_state *s, const cv_stop *stop)
{
    s->stop = stop ? *stop : (cv_stop){0};
}

/* Flow on the tokens, replacing the (z, mu) cache. *mel is [C][*F]. */
static cv_status run_flow(t2w_state *s, const int32_t *tokens, int n, float **mel, int *F)
{
    cv_status st;
    flow_model *m = flow_pool_acquire(s->flow, &st);
    if (!m) return st;
    flow_input in = {.tokens = tokens, .n_tokens = n,
                     .prompt_tokens = s->prompt.tokens, .n_prompt_tokens = s->prompt.n_tokens,
                     .prompt_feat = s->prompt.feat, .n_prompt_frames = s->prompt.n_frames,
                     .embedding = s->prompt.embedding,
                     .cache = s->flow_cache, .cache_frames = s->flow_cache_frames,
                     .stop = &s->stop};
    flow_output o;
    st = flow_inference(m, &in, s->noise, &o);
    flow_pool_release(s->flow, m);
    if (!cv_is_ok(&st)) return st;
    free(s->flow_cache);
    s->flow_cache = o.cache;
    s->flow_cache_frames = o.cache_frames;
    *mel = o.mel;
    *F = o.mel_frames;
    return cv_ok();
}

/* Columns [from, from + n) of x [C][T] into y [C][n]. */
static void copy_cols(const float *x, int C, int T, int from, int n, float *y)
{
    for (int c = 0; c < C; c++)
        memcpy(y + (size_t)c * n, x + (size_t)c * T + from, (size_t)n * sizeof(float));
}

cv_status t2w_step(t2w_state *s, const int32_t *tokens, int n, bool finalize, float speed,
                   float **speech, int *n_speech, t2w_timing *timing)
{
    *speech = NULL;
    *n_speech = 0;
    const t2w_params *p = &s->p;
    int C = s->C, spf = p->samples_per_frame;
    if (!finalize && speed != 1.0f)
        return cv_error(CV_INVALID_ARGUMENT, "speed change only works without streaming");
    if (speed != 1.0f && s->have_hift_cache)
        return cv_error(CV_INVALID_ARGUMENT, "speed change only works without streaming");
    double t0 = cv_now(), c0 = t2w_process_cpu();
    float *fmel = NULL, *mel = NULL, *wav = NULL, *src = NULL;
    int F = 0;
    cv_status st = run_flow(s, tokens, n, &fmel, &F);
    if (!cv_is_ok(&st)) return st;
    double t1 = cv_now(), c1 = t2w_process_cpu();
    if (cv_stop_requested(&s->stop)) {
        st = cv_error(CV_CANCELLED, "cancelled");
        goto done;
    }

    if (s->have_overlap) {
        int k = F < p->mel_overlap ? F : p->mel_overlap;
        for (int c = 0; c < C; c++)
            t2w_fade_in_out(fmel + (size_t)c * F, s->mel_overlap + (size_t)c * p->mel_overlap, k,
                            p->mel_overlap, s->mel_window);
        /* (k < mel_overlap only for a final chunk shorter than the overlap,
         * where the reference would fail; the window is then cut short.) */
    }
    /* mel [C][T]: vocoder cache frames, then this chunk's */
    int Tc = s->have_hift_cache ? p->mel_cache : 0, T = Tc + F;
    mel = malloc((size_t)C * T * sizeof(float));
    if (!mel) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    for (int c = 0; c < C; c++) {
        memcpy(mel + (size_t)c * T, s->cache_mel + (size_t)c * p->mel_cache,
               (size_t)Tc * sizeof(float));
        memcpy(mel + (size_t)c * T + Tc, fmel + (size_t)c * F, (size_t)F * sizeof(float));
    }
    int cache_len = s->have_hift_cache ? p->source_cache : 0;

    if (!finalize) {
        int Tk = T - p->mel_overlap; /* frames vocoded now */
        if (Tk <= p->mel_cache || (size_t)Tk * spf <= (size_t)p->source_cache) {
            st = cv_error(CV_INVALID_ARGUMENT, "token2wav: %d tokens are too few for a streamed chunk", n);
            goto done;
        }
        copy_cols(mel, C, T, Tk, p->mel_overlap, s->mel_overlap);
        s->have_overlap = p->mel_overlap > 0;
        float *mk = malloc((size_t)C * Tk * sizeof(float));
        size_t L = (size_t)Tk * spf;
        wav = malloc(L * sizeof(float));
        src = malloc(L * sizeof(float));
        if (!mk || !wav || !src) {
            free(mk);
            st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
            goto done;
        }
        copy_cols(mel, C, T, 0, Tk, mk);
        st = hift_infer(s->hift, mk, Tk, s->cache_source, cache_len, s->noise, wav, src);
        if (cv_is_ok(&st)) {
            if (s->have_hift_cache) t2w_fade_in_out(wav, s->cache_speech, p->source_cache, p->source_cache, s->speech_window);
            copy_cols(mk, C, Tk, Tk - p->mel_cache, p->mel_cache, s->cache_mel);
            memcpy(s->cache_source, src + L - p->source_cache, (size_t)p->source_cache * sizeof(float));
            memcpy(s->cache_speech, wav + L - p->source_cache, (size_t)p->source_cache * sizeof(float));
            s->have_hift_cache = true;
            *n_speech = (int)(L - p->source_cache);
        }
        free(mk);
    } else {
        st = t2w_time_stretch_owned(&mel, C, &T, speed);
        if (!cv_is_ok(&st)) goto done;
        size_t L = (size_t)T * spf;
        wav = malloc(L * sizeof(float));
        if (!wav) {
            st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
            goto done;
        }
        st = hift_infer(s->hift, mel, T, s->cache_source, cache_len, s->noise, wav, NULL);
        if (cv_is_ok(&st)) {
            if (s->have_hift_cache) {
                int k = (size_t)p->source_cache < L ? p->source_cache : (int)L;
                t2w_fade_in_out(wav, s->cache_speech, k, p->source_cache, s->speech_window);
            }
            *n_speech = (int)L;
        }
    }
done:
    if (timing) {
        timing->flow += t1 - t0;
        timing->vocoder += cv_now() - t1;
        timing->flow_cpu += c1 - c0;
        timing->vocoder_cpu += t2w_process_cpu() - c1;
    }
    free(fmel);
    free(mel);
    free(src);
    if (cv_is_ok(&st)) {
        *speech = wav;
    } else {
        free(wav);
        *n_speech = 0;
    }
    return st;
}
