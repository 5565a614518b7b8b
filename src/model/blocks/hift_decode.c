/* The HiFT decoder (mel + source -> speech through upsampling stages fused
 * with the source's spectrogram, then an iSTFT) and the whole vocoder
 * call; see hift.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/blocks/hift_internal.h"

static bool conv(const hift_conv *c, const float *x, int T, float *y)
{
    return nn_conv1d(&c->p, x, T, c->w, c->b, y);
}

/* x <- resblock(x) on [C][T]; t1, t2 are [C][T] scratch. The residual
 * sum is the second convolution's output pass (nn_conv1d_acc). */
static bool resblock_forward(const hift_resblock *r, float *x, int T, float *t1, float *t2)
{
    const int C = r->channels;
    for (int i = 0; i < r->n; i++) {
        nn_snake(x, t1, C, T, r->a1[i]);
        if (!conv(&r->c1[i], t1, T, t2)) return false;
        nn_snake(t2, t2, C, T, r->a2[i]);
        if (!nn_conv1d_acc(&r->c2[i].p, t2, T, r->c2[i].w, r->c2[i].b, x)) return false;
    }
    return true;
}

/* Largest channels x frames product any buffer holds for T frames out of
 * conv_pre (a causal stage's repeated input included). */
static size_t max_activation(const hift_model *m, int T)
{
    const hift_config *c = &m->cfg;
    size_t best = (size_t)c->base_channels * T, len = (size_t)T;
    for (int i = 0; i < c->n_stages; i++) {
        len *= (size_t)c->upsample_rates[i];
        /* +1: reflection pad of the last stage; the input width: causal
         * stages repeat their input before the convolution */
        size_t n = (size_t)(c->base_channels >> i) * (len + 1);
        if (n > best) best = n;
    }
    size_t post = (size_t)(c->n_fft + 2) * (len + 1);
    return post > best ? post : best;
}

/* One upsampling stage on x [cin][len] into y [cout][len * rate]; `rep` is
 * scratch for a causal stage's repeated input. */
static bool upsample(const hift_model *m, const hift_up *up, const float *x, int cin, int len,
                     float *rep, float *y)
{
    if (!m->cfg.causal) return nn_conv_transpose1d(&up->tp, x, len, up->w, up->b, y);
    nn_upsample_nearest(x, cin, len, up->rate, rep);
    return conv(&up->conv, rep, len * up->rate, y);
}

typedef struct decode_bufs {
    float *s_stft, *x, *y, *xs, *si, *t1, *t2;
} decode_bufs;

static void bufs_free(decode_bufs *b)
{
    free(b->s_stft), free(b->x), free(b->y), free(b->xs), free(b->si), free(b->t1), free(b->t2);
}

cv_status hift_decode_ex(const hift_model *m, const float *mel, int T, const float *source,
                         bool finalize, float *speech)
{
    const hift_config *c = &m->cfg;
    const bool keep_back = c->causal && !finalize;
    const int L = T * m->spf, bins = c->n_fft / 2 + 1;
    /* mel frames conv_pre makes: a causal decoder that is not finalizing
     * reads its look-ahead from the mel instead of zero padding */
    const int Tm = keep_back ? T - c->conv_pre_look_right : T;
    if (T <= 0 || Tm <= 1) return cv_error(CV_INVALID_ARGUMENT, "hift: %d mel frames are too few", T);
    const int all_frames = nn_stft_frames(m->stft, L);
    /* ... and the source spectrogram loses the frames of that look-ahead */
    const int frames = all_frames - (T - Tm) * (m->spf / c->hop);
    const size_t cap = max_activation(m, Tm);
    decode_bufs b = {0};
    b.s_stft = malloc(sizeof(float) * 2 * bins * all_frames);
    b.x = malloc(sizeof(float) * cap), b.y = malloc(sizeof(float) * cap);
    b.xs = malloc(sizeof(float) * cap), b.si = malloc(sizeof(float) * cap);
    b.t1 = malloc(sizeof(float) * cap), b.t2 = malloc(sizeof(float) * cap);
    bool ok = b.s_stft && b.x && b.y && b.xs && b.si && b.t1 && b.t2;

    /* source -> [re; im] spectrogram, one column per hop */
    ok = ok && nn_stft_forward(m->stft, source, L, b.s_stft, b.s_stft + (size_t)bins * all_frames);
    if (ok && frames != all_frames) /* keep the first `frames` columns of each row */
        for (int r = 0; r < 2 * bins; r++)
            memmove(b.s_stft + (size_t)r * frames, b.s_stft + (size_t)r * all_frames,
                    sizeof(float) * frames);
    nn_conv1d_params pre = m->conv_pre.p;
    if (keep_back) pre.pad_right = 0;
    ok = ok && nn_conv1d(&pre, mel, T, m->conv_pre.w, m->conv_pre.b, b.x);
    int len = Tm, ch = c->base_channels;
    float *x = b.x, *y = b.y, *xs = b.xs;
    for (int i = 0; ok && i < c->n_stages; i++) {
        nn_leaky_relu(x, x, (size_t)ch * len, c->lrelu_slope);
        ok = upsample(m, &m->ups[i], x, ch, len, b.t1, y);
        len *= c->upsample_rates[i];
        ch = c->base_channels >> (i + 1);
        if (i == c->n_stages - 1) { /* ReflectionPad1d((1, 0)) */
            ok = ok && nn_pad_reflect(y, ch, len, 1, 0, x);
            len += 1;
        } else {
            float *t = x;
            x = y;
            y = t;
        }
        /* fuse the source at this stage's rate */
        const hift_conv *sd = &m->source_downs[i];
        if (ok && nn_conv1d_out_len(&sd->p, frames) != len) {
            bufs_free(&b);
            return cv_error(CV_INTERNAL, "hift: source length mismatch at stage %d", i);
        }
        ok = ok && conv(sd, b.s_stft, frames, b.si);
        ok = ok && resblock_forward(&m->source_rb[i], b.si, len, b.t1, b.t2);
        const size_t n = (size_t)ch * len;
        if (ok) nn_add(x, b.si, n);
        /* average of the multi-receptive-field resblocks */
        for (int j = 0; ok && j < c->n_kernels; j++) {
            float *dst = j == 0 ? xs : y;
            memcpy(dst, x, n * sizeof(float));
            ok = resblock_forward(&m->rb[i * c->n_kernels + j], dst, len, b.t1, b.t2);
            if (j > 0) nn_add(xs, y, n);
        }
        if (ok) {
            nn_scale(xs, 1.0f / (float)c->n_kernels, n);
            float *t = x;
            x = xs;
            xs = t;
        }
    }
    if (ok) { /* default negative slope of F.leaky_relu, not lrelu_slope */
        nn_leaky_relu(x, x, (size_t)ch * len, 0.01f);
        ok = conv(&m->conv_post, x, len, y) && len == frames;
    }
    int n_out = hift_decode_samples(m, T, finalize);
    if (ok) { /* magnitude = exp (clipped at 1e2), phase = sin -> iSTFT */
        float *mag = y, *ph = y + (size_t)bins * frames;
        float *re = b.t1, *im = b.t2;
        for (size_t k = 0; k < (size_t)bins * frames; k++) {
            float mg = expf(mag[k]);
            if (mg > 1e2f) mg = 1e2f;
            float p = sinf(ph[k]);
            re[k] = mg * cosf(p);
            im[k] = mg * sinf(p);
        }
        /* the iSTFT makes Tm * spf samples; not finalizing, a causal
         * decoder cuts the last frame's worth */
        float *full = keep_back ? b.si : speech;
        ok = nn_istft_length(m->stft, frames) == Tm * m->spf &&
             nn_stft_inverse(m->stft, re, im, frames, full);
        if (ok && keep_back) memcpy(speech, full, sizeof(float) * n_out);
        nn_clamp(speech, -c->audio_limit, c->audio_limit, (size_t)n_out);
    }
    bufs_free(&b);
    return ok ? cv_ok() : cv_error(CV_INTERNAL, "hift: decode failed (memory or sizes)");
}

cv_status hift_decode(const hift_model *m, const float *mel, int T, const float *source,
                      float *speech)
{
    return hift_decode_ex(m, mel, T, source, true, speech);
}

cv_status hift_infer_ex(const hift_model *m, const float *mel, int T, bool finalize,
                        const float *cache_source, int cache_len, nn_noise *noise,
                        float *speech, float *source)
{
    const int F = hift_f0_frames(m, T, finalize), L = F * m->spf;
    if (T <= 0 || F <= 0 || hift_infer_samples(m, T, finalize) <= 0)
        return cv_error(CV_INVALID_ARGUMENT, "hift: %d mel frames are too few", T);
    if (cache_len < 0 || cache_len > L)
        return cv_error(CV_INVALID_ARGUMENT, "hift: cache of %d samples for %d", cache_len, L);
    float *f0 = malloc(sizeof(float) * F);
    float *src = source ? source : malloc(sizeof(float) * L);
    if (!f0 || !src) {
        free(f0);
        if (src != source) free(src);
        return hift_oom();
    }
    cv_status st = hift_f0_ex(m, mel, T, finalize, f0);
    if (cv_is_ok(&st)) st = hift_source(m, f0, F, noise, src);
    if (cv_is_ok(&st)) {
        if (cache_len > 0) memcpy(src, cache_source, sizeof(float) * cache_len);
        /* the decoder sees the mel frames the f0 covers */
        const int C = m->cfg.in_channels;
        float *cut = F == T ? NULL : malloc(sizeof(float) * C * F);
        if (F != T && !cut) st = hift_oom();
        for (int ch = 0; cut && ch < C; ch++)
            memcpy(cut + (size_t)ch * F, mel + (size_t)ch * T, sizeof(float) * F);
        if (cv_is_ok(&st)) st = hift_decode_ex(m, cut ? cut : mel, F, src, finalize, speech);
        free(cut);
    }
    free(f0);
    if (src != source) free(src);
    return st;
}

cv_status hift_infer(const hift_model *m, const float *mel, int T,
                     const float *cache_source, int cache_len, nn_noise *noise,
                     float *speech, float *source)
{
    return hift_infer_ex(m, mel, T, true, cache_source, cache_len, noise, speech, source);
}
