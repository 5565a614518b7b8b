/* CosyVoice2's vocoder stage; see token2wav.h. */
#include "model/v2/token2wav.h"

#include <stdlib.h>
#include <string.h>

#include "model/blocks/t2w_fade.h"

typedef struct voc2 {
    const hift_model *hift;
    nn_noise *noise;
    int C, spf, mel_cache, source_cache;
    double *window; /* np.hamming(2 * source_cache) */
    bool have_cache;
    float *cache_mel;    /* [C][mel_cache] */
    float *cache_source; /* [source_cache] */
    float *cache_speech; /* [source_cache] */
} voc2;

static void voc2_free(void *self)
{
    voc2 *v = self;
    if (!v) return;
    free(v->window), free(v->cache_mel), free(v->cache_source), free(v->cache_speech);
    free(v);
}

/* Columns [from, from + n) of x [C][T] into y [C][n]. */
static void copy_cols(const float *x, int C, int T, int from, int n, float *y)
{
    for (int c = 0; c < C; c++)
        memcpy(y + (size_t)c * n, x + (size_t)c * T + from, (size_t)n * sizeof(float));
}

static cv_status voc2_run(void *self, const float *fmel, int F, bool finalize, float speed,
                          float **pcm, int *n_pcm)
{
    voc2 *v = self;
    const int C = v->C, Tc = v->have_cache ? v->mel_cache : 0;
    if (speed != 1.0f && (!finalize || v->have_cache))
        return cv_error(CV_INVALID_ARGUMENT, "speed change only works without streaming");
    /* mel [C][T]: the cached frames, then this chunk's */
    int T = Tc + F;
    float *mel = malloc(sizeof(float) * C * T), *wav = NULL, *src = NULL;
    if (!mel) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    for (int c = 0; c < C; c++) {
        memcpy(mel + (size_t)c * T, v->cache_mel + (size_t)c * v->mel_cache, sizeof(float) * Tc);
        memcpy(mel + (size_t)c * T + Tc, fmel + (size_t)c * F, sizeof(float) * F);
    }
    cv_status st = t2w_time_stretch_owned(&mel, C, &T, speed);
    if (!cv_is_ok(&st)) goto done;
    const size_t L = (size_t)T * v->spf;
    const int hold = finalize ? 0 : v->source_cache;
    if (L <= (size_t)hold) {
        st = cv_error(CV_INVALID_ARGUMENT, "token2wav: a streamed chunk of %d mel frames is too "
                      "short for the %d held back", T, v->mel_cache);
        goto done;
    }
    wav = malloc(sizeof(float) * L);
    src = malloc(sizeof(float) * L);
    if (!wav || !src) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    st = hift_infer(v->hift, mel, T, v->cache_source, v->have_cache ? v->source_cache : 0,
                    v->noise, wav, src);
    if (!cv_is_ok(&st)) goto done;
    if (v->have_cache) {
        int k = (size_t)v->source_cache < L ? v->source_cache : (int)L;
        t2w_fade_in_out(wav, v->cache_speech, k, v->source_cache, v->window);
    }
    if (!finalize) { /* keep the tails for the next chunk */
        copy_cols(mel, C, T, T - v->mel_cache, v->mel_cache, v->cache_mel);
        memcpy(v->cache_source, src + L - hold, sizeof(float) * hold);
        memcpy(v->cache_speech, wav + L - hold, sizeof(float) * hold);
        v->have_cache = true;
    }
    *pcm = wav;
    *n_pcm = (int)(L - hold);
    wav = NULL;
done:
    free(mel), free(wav), free(src);
    return st;
}

cv_status t2w2_new(instance_pool *flows, const hift_model *hift, const causal_t2w_params *p,
                   const t2w_prompt *prompt, nn_noise *noise, causal_t2w **out)
{
    *out = NULL;
    voc2 *v = calloc(1, sizeof *v);
    if (!v) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    v->hift = hift;
    v->noise = noise;
    v->C = hift_get_config(hift)->in_channels;
    v->spf = hift_samples_per_frame(hift);
    v->mel_cache = T2W2_MEL_CACHE;
    v->source_cache = T2W2_MEL_CACHE * v->spf; /* 3840 at 24 kHz */
    v->window = malloc(sizeof(double) * 2 * v->source_cache);
    v->cache_mel = malloc(sizeof(float) * v->C * v->mel_cache);
    v->cache_source = malloc(sizeof(float) * v->source_cache);
    v->cache_speech = malloc(sizeof(float) * v->source_cache);
    if (!v->window || !v->cache_mel || !v->cache_source || !v->cache_speech) {
        voc2_free(v);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    t2w_hamming(v->window, 2 * v->source_cache);
    causal_t2w_vocoder voc = {voc2_run, voc2_free, v};
    return causal_t2w_new(flows, p, prompt, voc, out);
}
