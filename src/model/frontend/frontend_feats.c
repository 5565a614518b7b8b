#include "model/frontend/frontend_feats.h"

#include <float.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/frontend/frontend_mel.h"
#include "nn/nn.h"

#define WHISPER_SR 16000
#define WHISPER_NFFT 400
#define WHISPER_HOP 160

#define KALDI_FRAME 400 /* 25 ms at 16 kHz */
#define KALDI_SHIFT 160 /* 10 ms */
#define KALDI_NFFT 512  /* frame rounded up to a power of two */
#define KALDI_PREEMPH 0.97f
#define KALDI_LOW_HZ 20.0

struct fe_feats {
    fe_prompt_mel_config cfg;
    nn_stft *whisper_stft, *kaldi_stft, *prompt_stft;
    float *whisper_mel, *kaldi_mel, *prompt_mel; /* [mels][bins] */
    float povey[KALDI_FRAME];
};

cv_status fe_prompt_mel_config_from_yaml(const yaml_config *y, fe_prompt_mel_config *c)
{
    const char *p = "feat_extractor.";
    char key[128];
#define GET_INT(field, name, def)                                                          \
    snprintf(key, sizeof key, "%s%s", p, name);                                            \
    c->field = (int)yaml_config_int(y, key, def)
    GET_INT(n_fft, "n_fft", 1024);
    GET_INT(hop, "hop_size", 256);
    GET_INT(win, "win_size", 1024);
    GET_INT(n_mels, "num_mels", 80);
    GET_INT(sample_rate, "sampling_rate", yaml_config_int(y, "sample_rate", 22050));
#undef GET_INT
    c->fmin = yaml_config_float(y, "feat_extractor.fmin", 0.0);
    /* fmax: null (CosyVoice3) is None to matcha's mel_spectrogram, which
     * librosa takes as sr / 2; fe_mel_slaney reads 0 the same way. */
    if (yaml_config_is_null(y, "feat_extractor.fmax")) {
        c->fmax = 0.0;
    } else {
        c->fmax = yaml_config_float(y, "feat_extractor.fmax", NAN);
        if (isnan(c->fmax)) {
            if (yaml_config_has(y, "feat_extractor.fmax"))
                return cv_error(CV_INVALID_ARGUMENT, "feat_extractor.fmax is not a number or null");
            c->fmax = 8000.0;
        }
    }
    if (yaml_config_bool(y, "feat_extractor.center", false))
        return cv_error(CV_UNIMPLEMENTED, "feat_extractor.center: True is not supported");
    if (c->n_fft < 2 || c->hop < 1 || c->n_mels < 1 || c->sample_rate < 1 ||
        c->win != c->n_fft || c->hop > c->n_fft || c->n_fft > (1 << 16) ||
        !(c->fmin >= 0.0) || c->fmax < 0.0 || (c->fmax > 0.0 && c->fmax <= c->fmin))
        return cv_error(CV_INVALID_ARGUMENT,
                        "feat_extractor: unsupported sizes (n_fft %d, hop %d, win %d, mels %d, "
                        "fmin %g, fmax %g)",
                        c->n_fft, c->hop, c->win, c->n_mels, c->fmin, c->fmax);
    return cv_ok();
}

void fe_feats_free(fe_feats *f)
{
    if (!f) return;
    nn_stft_free(f->whisper_stft);
    nn_stft_free(f->kaldi_stft);
    nn_stft_free(f->prompt_stft);
    free(f->whisper_mel);
    free(f->kaldi_mel);
    free(f->prompt_mel);
    free(f);
}

fe_feats *fe_feats_new(const fe_prompt_mel_config *cfg, cv_status *st)
{
    fe_feats *f = calloc(1, sizeof *f);
    if (!f) goto oom;
    f->cfg = *cfg;
    f->whisper_stft = nn_stft_new(WHISPER_NFFT, WHISPER_HOP, NULL, true);
    /* Kaldi frames are prepared by hand (windowed, zero-padded to 512) and laid
     * end to end, so a rectangular-window STFT with hop = n_fft transforms them. */
    float ones[KALDI_NFFT];
    for (int i = 0; i < KALDI_NFFT; i++) ones[i] = 1.0f;
    f->kaldi_stft = nn_stft_new(KALDI_NFFT, KALDI_NFFT, ones, false);
    f->prompt_stft = nn_stft_new(cfg->n_fft, cfg->hop, NULL, false);
    f->whisper_mel = fe_mel_slaney(WHISPER_SR, WHISPER_NFFT, FE_WHISPER_MELS, 0.0, 0.0);
    f->kaldi_mel = fe_mel_kaldi(WHISPER_SR, KALDI_NFFT, FE_FBANK_MELS, KALDI_LOW_HZ, 0.0);
    f->prompt_mel = fe_mel_slaney(cfg->sample_rate, cfg->n_fft, cfg->n_mels, cfg->fmin, cfg->fmax);
    if (!f->whisper_stft || !f->kaldi_stft || !f->prompt_stft || !f->whisper_mel ||
        !f->kaldi_mel || !f->prompt_mel)
        goto oom;
    /* Povey window: symmetric Hann to the power 0.85 */
    nn_hann_window(f->povey, KALDI_FRAME, false);
    for (int i = 0; i < KALDI_FRAME; i++) f->povey[i] = powf(f->povey[i], 0.85f);
    *st = cv_ok();
    return f;
oom:
    fe_feats_free(f);
    *st = cv_error(CV_RESOURCE_EXHAUSTED, "prompt features: out of memory");
    return NULL;
}

const fe_prompt_mel_config *fe_feats_prompt_config(const fe_feats *f) { return &f->cfg; }

/* mel[m][t] = sum_b filt[m][b] * spec[b][t], spec [bins][T] */
static void apply_mel(const float *filt, int mels, int bins, const float *spec, int T,
                      float *mel)
{
    nn_gemm(false, false, mels, T, bins, 1.0f, filt, bins, spec, T, 0.0f, mel, T);
}

static cv_status oom(void) { return cv_error(CV_RESOURCE_EXHAUSTED, "features: out of memory"); }

cv_status fe_whisper_mel(const fe_feats *f, const float *x, size_t n, float **out, int *frames)
{
    *out = NULL;
    *frames = 0;
    if (n > (size_t)INT32_MAX / 2) return cv_error(CV_INVALID_ARGUMENT, "audio too long");
    const int F = nn_stft_frames(f->whisper_stft, (int)n);
    if (F < 2) return cv_error(CV_INVALID_ARGUMENT, "prompt audio too short for the log-mel");
    const int bins = WHISPER_NFFT / 2 + 1, T = F - 1; /* Whisper drops the last frame */
    float *re = malloc(sizeof(float) * bins * F), *im = malloc(sizeof(float) * bins * F);
    float *pw = malloc(sizeof(float) * bins * T), *mel = malloc(sizeof(float) * FE_WHISPER_MELS * T);
    cv_status st = cv_ok();
    if (!re || !im || !pw || !mel) {
        st = oom();
        goto done;
    }
    if (!nn_stft_forward(f->whisper_stft, x, (int)n, re, im)) {
        st = cv_error(CV_INTERNAL, "whisper STFT failed");
        goto done;
    }
    for (int b = 0; b < bins; b++)
        for (int t = 0; t < T; t++) {
            float r = re[(size_t)b * F + t], i = im[(size_t)b * F + t];
            pw[(size_t)b * T + t] = r * r + i * i;
        }
    apply_mel(f->whisper_mel, FE_WHISPER_MELS, bins, pw, T, mel);
    const size_t cnt = (size_t)FE_WHISPER_MELS * T;
    float mx = -INFINITY;
    for (size_t i = 0; i < cnt; i++) {
        mel[i] = log10f(mel[i] > 1e-10f ? mel[i] : 1e-10f);
        if (mel[i] > mx) mx = mel[i];
    }
    for (size_t i = 0; i < cnt; i++) {
        float v = mel[i] > mx - 8.0f ? mel[i] : mx - 8.0f;
        mel[i] = (v + 4.0f) / 4.0f;
    }
    *out = mel;
    mel = NULL;
    *frames = T;
done:
    free(re);
    free(im);
    free(pw);
    free(mel);
    return st;
}

cv_status fe_fbank(const fe_feats *f, const float *x, size_t n, float **out, int *frames)
{
    *out = NULL;
    *frames = 0;
    if (n < KALDI_FRAME) return cv_error(CV_INVALID_ARGUMENT, "prompt audio too short for fbank");
    if (n > (size_t)INT32_MAX / 4) return cv_error(CV_INVALID_ARGUMENT, "audio too long");
    const int T = 1 + (int)((n - KALDI_FRAME) / KALDI_SHIFT); /* snip_edges */
    const int bins = KALDI_NFFT / 2 + 1;
    float *frm = calloc((size_t)T * KALDI_NFFT, sizeof(float));
    float *re = malloc(sizeof(float) * bins * T), *im = malloc(sizeof(float) * bins * T);
    float *mel = malloc(sizeof(float) * FE_FBANK_MELS * T);
    float *res = malloc(sizeof(float) * FE_FBANK_MELS * T);
    cv_status st = cv_ok();
    if (!frm || !re || !im || !mel || !res) {
        st = oom();
        goto done;
    }
    for (int t = 0; t < T; t++) {
        const float *s = x + (size_t)t * KALDI_SHIFT;
        float *d = frm + (size_t)t * KALDI_NFFT;
        float mean = 0.0f;
        for (int i = 0; i < KALDI_FRAME; i++) mean += s[i];
        mean /= KALDI_FRAME;
        for (int i = 0; i < KALDI_FRAME; i++) d[i] = s[i] - mean;
        /* pre-emphasis with the first sample replicated as its predecessor */
        for (int i = KALDI_FRAME - 1; i > 0; i--) d[i] -= KALDI_PREEMPH * d[i - 1];
        d[0] -= KALDI_PREEMPH * d[0];
        for (int i = 0; i < KALDI_FRAME; i++) d[i] *= f->povey[i];
    }
    if (!nn_stft_forward(f->kaldi_stft, frm, T * KALDI_NFFT, re, im)) {
        st = cv_error(CV_INTERNAL, "fbank FFT failed");
        goto done;
    }
    for (size_t i = 0; i < (size_t)bins * T; i++) re[i] = re[i] * re[i] + im[i] * im[i];
    apply_mel(f->kaldi_mel, FE_FBANK_MELS, bins, re, T, mel);
    /* log with the float epsilon floor, transposed to [T][80], mean removed */
    for (int m = 0; m < FE_FBANK_MELS; m++) {
        double sum = 0.0;
        for (int t = 0; t < T; t++) {
            float v = mel[(size_t)m * T + t];
            v = logf(v > FLT_EPSILON ? v : FLT_EPSILON);
            res[(size_t)t * FE_FBANK_MELS + m] = v;
            sum += v;
        }
        const float mean = (float)(sum / T);
        for (int t = 0; t < T; t++) res[(size_t)t * FE_FBANK_MELS + m] -= mean;
    }
    *out = res;
    res = NULL;
    *frames = T;
done:
    free(frm);
    free(re);
    free(im);
    free(mel);
    free(res);
    return st;
}

cv_status fe_prompt_mel(const fe_feats *f, const float *x, size_t n, float **out, int *frames)
{
    *out = NULL;
    *frames = 0;
    const fe_prompt_mel_config *c = &f->cfg;
    const int pad = (c->n_fft - c->hop) / 2;
    if (n <= (size_t)pad) return cv_error(CV_INVALID_ARGUMENT, "prompt audio too short for the mel");
    if (n > (size_t)INT32_MAX / 2) return cv_error(CV_INVALID_ARGUMENT, "audio too long");
    const int np = (int)n + 2 * pad;
    const int T = nn_stft_frames(f->prompt_stft, np);
    if (T <= 0) return cv_error(CV_INVALID_ARGUMENT, "prompt audio too short for the mel");
    const int bins = c->n_fft / 2 + 1;
    float *xp = malloc(sizeof(float) * np);
    float *re = malloc(sizeof(float) * bins * T), *im = malloc(sizeof(float) * bins * T);
    float *mel = malloc(sizeof(float) * c->n_mels * T);
    float *res = malloc(sizeof(float) * c->n_mels * T);
    cv_status st = cv_ok();
    if (!xp || !re || !im || !mel || !res) {
        st = oom();
        goto done;
    }
    nn_pad_reflect(x, 1, (int)n, pad, pad, xp);
    if (!nn_stft_forward(f->prompt_stft, xp, np, re, im)) {
        st = cv_error(CV_INTERNAL, "prompt mel STFT failed");
        goto done;
    }
    for (size_t i = 0; i < (size_t)bins * T; i++) re[i] = sqrtf(re[i] * re[i] + im[i] * im[i] + 1e-9f);
    apply_mel(f->prompt_mel, c->n_mels, bins, re, T, mel);
    for (int m = 0; m < c->n_mels; m++)
        for (int t = 0; t < T; t++) {
            float v = mel[(size_t)m * T + t];
            res[(size_t)t * c->n_mels + m] = logf(v > 1e-5f ? v : 1e-5f);
        }
    *out = res;
    res = NULL;
    *frames = T;
done:
    free(xp);
    free(re);
    free(im);
    free(mel);
    free(res);
    return st;
}
