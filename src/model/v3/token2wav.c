/* CosyVoice3's vocoder stage; see token2wav.h. */
#include "model/v3/token2wav.h"

#include <stdlib.h>
#include <string.h>

#include "model/blocks/t2w_fade.h"

typedef struct voc3 {
    const hift_model *hift;
    nn_noise *noise;
    int C;
    float *mel; /* [C][cap]: all chunks' mel so far, row stride cap */
    int frames, cap;
    float *packed; /* the mel as [C][frames] for the vocoder */
    int speech_offset; /* samples yielded so far */
    bool streamed;
} voc3;

static void voc3_free(void *self)
{
    voc3 *v = self;
    if (!v) return;
    free(v->mel), free(v->packed);
    free(v);
}

/* Appends F frames of m [C][F]. */
static bool append(voc3 *v, const float *m, int F)
{
    if (v->frames + F > v->cap) {
        int cap = v->cap ? v->cap : 256;
        while (cap < v->frames + F) cap *= 2;
        float *n = malloc(sizeof(float) * v->C * cap);
        float *p = realloc(v->packed, sizeof(float) * v->C * cap);
        if (!n || !p) {
            free(n);
            if (p) v->packed = p;
            return false;
        }
        v->packed = p;
        for (int c = 0; c < v->C && v->frames > 0; c++) /* mel is NULL before the first */
            memcpy(n + (size_t)c * cap, v->mel + (size_t)c * v->cap, sizeof(float) * v->frames);
        free(v->mel);
        v->mel = n;
        v->cap = cap;
    }
    for (int c = 0; c < v->C; c++)
        memcpy(v->mel + (size_t)c * v->cap + v->frames, m + (size_t)c * F, sizeof(float) * F);
    v->frames += F;
    for (int c = 0; c < v->C; c++)
        memcpy(v->packed + (size_t)c * v->frames, v->mel + (size_t)c * v->cap,
               sizeof(float) * v->frames);
    return true;
}

static cv_status voc3_run(void *self, const float *fmel, int F, bool finalize, float speed,
                          float **pcm, int *n_pcm)
{
    voc3 *v = self;
    if (speed != 1.0f && (!finalize || v->streamed))
        return cv_error(CV_INVALID_ARGUMENT, "speed change only works without streaming");
    if (!append(v, fmel, F)) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    const float *mel = v->packed;
    float *stretched = NULL;
    int T = v->frames;
    if (speed != 1.0f) {
        cv_status st = t2w_time_stretch(mel, v->C, T, speed, &stretched, &T);
        if (!cv_is_ok(&st)) return st;
        mel = stretched;
    }
    int L = hift_infer_samples(v->hift, T, finalize);
    if (L <= v->speech_offset) {
        free(stretched);
        return cv_error(CV_INVALID_ARGUMENT, "token2wav: a chunk of %d mel frames makes no new "
                        "audio", F);
    }
    float *wav = malloc(sizeof(float) * L);
    cv_status st = wav ? hift_infer_ex(v->hift, mel, T, finalize, NULL, 0, v->noise, wav, NULL)
                       : cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    free(stretched);
    if (!cv_is_ok(&st)) {
        free(wav);
        return st;
    }
    /* yield what is new */
    int n = L - v->speech_offset;
    memmove(wav, wav + v->speech_offset, sizeof(float) * n);
    v->speech_offset += n;
    v->streamed = true;
    *pcm = wav;
    *n_pcm = n;
    return cv_ok();
}

cv_status t2w3_new(instance_pool *flows, const hift_model *hift, const causal_t2w_params *p,
                   const t2w_prompt *prompt, nn_noise *noise, causal_t2w **out)
{
    *out = NULL;
    if (!hift_get_config(hift)->causal)
        return cv_error(CV_INVALID_ARGUMENT, "token2wav: CosyVoice3 needs a causal vocoder");
    voc3 *v = calloc(1, sizeof *v);
    if (!v) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    v->hift = hift;
    v->noise = noise;
    v->C = hift_get_config(hift)->in_channels;
    causal_t2w_vocoder voc = {voc3_run, voc3_free, v};
    return causal_t2w_new(flows, p, prompt, voc, out);
}

const float *t2w3_mel(causal_t2w *s, int *frames)
{
    const voc3 *v = causal_t2w_vocoder_self(s);
    *frames = v->frames;
    return v->packed;
}
