/* The harmonic-plus-noise source (SourceModuleHnNSF): for f0 upsampled to
 * the sample rate, H = nb_harmonics + 1 sines at f0 * h, unvoiced samples
 * (f0 <= threshold) replaced by noise, merged by tanh(Linear(H -> 1)).
 *
 * The phase is where the reference's three sine generators differ, and it
 * has to be computed their way in float32: it grows to 1e4..1e5 radians
 * over an utterance, where one float32 rounding is 1e-3 rad, so a more
 * exact phase would not match (see the golden READMEs). */
#include <math.h>
#include <stdlib.h>

#include "model/blocks/hift_internal.h"

/* noise_amp = uv * noise_std + (1 - uv) * sine_amp / 3, in torch's order */
static float noise_amp(const hift_config *c, float uv)
{
    return uv * c->nsf_sigma + (1.0f - uv) * c->nsf_alpha / 3.0f;
}

/* SineGen (22.05 kHz): the phase of harmonic h is the running sum of
 * f0 * h / sr over every sample, accumulated in double and rounded to float
 * at each sample (PyTorch's CPU cumsum), then wrapped to [0, 1); harmonics
 * above the fundamental start at a random phase in [-pi, pi). Layout of
 * the harmonics sw[h][n]; noise [h][n] (the reference's [1, H, L]). */
static cv_status sine_samples(const hift_model *m, const float *f0, int L, nn_noise *noise,
                              float *sw)
{
    const hift_config *c = &m->cfg;
    const int H = c->nb_harmonics + 1;
    float *nz = malloc(sizeof(float) * H * L), phase0[HIFT_MAX_HARMONICS];
    if (!nz) return hift_oom();
    nn_noise_uniform(noise, phase0, (size_t)H, (float)-M_PI, (float)M_PI);
    phase0[0] = 0.0f;
    nn_noise_normal(noise, nz, (size_t)H * L, NN_NOISE_SALT_SOURCE);
    const float two_pi = (float)(2.0 * M_PI), amp = c->nsf_alpha;
    const float unvoiced_amp = (float)(c->nsf_alpha / 3.0), voiced_amp = c->nsf_sigma;
    for (int h = 0; h < H; h++) {
        double cum = 0.0;
        float *row = sw + (size_t)h * L;
        const float *nr = nz + (size_t)h * L;
        for (int t = 0; t < L; t++) {
            float f = f0[t / m->spf];
            cum += (double)(f * (float)(h + 1) / (float)c->sampling_rate);
            float theta = two_pi * fmodf((float)cum, 1.0f);
            float s = amp * sinf(theta + phase0[h]);
            bool voiced = f > c->nsf_voiced_threshold;
            float uv = voiced ? 1.0f : 0.0f;
            float namp = uv * voiced_amp + (1.0f - uv) * unvoiced_amp;
            row[t] = s * uv + namp * nr[t];
        }
    }
    free(nz);
    return cv_ok();
}

/* SineGen2 (both forms): per mel frame i, r = (f0[i] * h / sr) mod 1 (the
 * reference takes it per sample and reads it back at frame rate through a
 * x1/spf linear interpolation whose two taps, 0.5 each, both fall inside
 * frame i, so r is the frame's own value exactly; the random initial phase
 * it adds to sample 0 is never read). The frame phase is the running sum
 * in double rounded to float per frame, times 2, pi and spf in float:
 * P[h][i] = ((cumsum * 2) * pi) * spf, the phase at the end of frame i. */
static void frame_phase(const hift_model *m, const float *f0, int F, float *P)
{
    const hift_config *c = &m->cfg;
    const int H = c->nb_harmonics + 1;
    const float pi = (float)M_PI, spf = (float)m->spf, sr = (float)c->sampling_rate;
    for (int h = 0; h < H; h++) {
        double cum = 0.0;
        for (int i = 0; i < F; i++) {
            float r = fmodf(f0[i] * (float)(h + 1) / sr, 1.0f);
            cum += (double)r;
            P[(size_t)h * F + i] = (((float)cum * 2.0f) * pi) * spf;
        }
    }
}

/* SineGen2 (non-causal, CosyVoice2): the frame phase linearly interpolated
 * back up to samples with F.interpolate(scale_factor=spf, mode='linear'),
 * whose source index torch computes in float: (1/spf) * (n + 0.5) - 0.5,
 * clamped at 0. Additive noise is drawn per call, layout [n][h] (the
 * reference's [1, L, H]). */
static void sine_linear(const hift_model *m, const float *P, int F, int L, float *sw)
{
    const int H = m->cfg.nb_harmonics + 1;
    const float ratio = (float)(1.0 / m->spf), amp = m->cfg.nsf_alpha;
    for (int n = 0; n < L; n++) {
        float src = ratio * ((float)n + 0.5f) - 0.5f;
        if (src < 0.0f) src = 0.0f;
        int i0 = (int)src, i1 = i0 + (i0 < F - 1 ? 1 : 0);
        float l1 = src - (float)i0, l0 = 1.0f - l1;
        for (int h = 0; h < H; h++) {
            const float *Ph = P + (size_t)h * F;
            float ph = Ph[i0] * l0 + Ph[i1] * l1;
            sw[(size_t)h * L + n] = sinf(ph) * amp;
        }
    }
}

/* SineGen2(causal=True, CosyVoice3): the frame phase held over each frame
 * (mode='nearest'): a staircase. */
static void sine_staircase(const hift_model *m, const float *P, int F, int L, float *sw)
{
    const int H = m->cfg.nb_harmonics + 1, spf = m->spf;
    const float amp = m->cfg.nsf_alpha;
    for (int h = 0; h < H; h++)
        for (int i = 0; i < F; i++) {
            float s = sinf(P[(size_t)h * F + i]) * amp;
            float *row = sw + (size_t)h * L + (size_t)i * spf;
            for (int k = 0; k < spf; k++) row[k] = s;
        }
    (void)L;
}

/* The voiced/unvoiced mix of SineGen2 on sw[h][n] with noise nz[n][h]:
 * s = sine * uv + noise_amp(uv) * noise. */
static void mix_noise(const hift_model *m, const float *f0, int L, const float *nz, float *sw)
{
    const hift_config *c = &m->cfg;
    const int H = c->nb_harmonics + 1;
    for (int n = 0; n < L; n++) {
        float uv = f0[n / m->spf] > c->nsf_voiced_threshold ? 1.0f : 0.0f;
        float na = noise_amp(c, uv);
        for (int h = 0; h < H; h++) {
            float *s = sw + (size_t)h * L + n;
            *s = *s * uv + na * nz[(size_t)n * H + h];
        }
    }
}

static cv_status sine_frames(const hift_model *m, const float *f0, int F, int L,
                             nn_noise *noise, float *sw)
{
    const hift_config *c = &m->cfg;
    const int H = c->nb_harmonics + 1;
    float *P = malloc(sizeof(float) * H * F), *nz = malloc(sizeof(float) * H * L);
    if (!P || !nz) {
        free(P), free(nz);
        return hift_oom();
    }
    frame_phase(m, f0, F, P);
    if (c->sine == HIFT_SINE_STAIRCASE) {
        sine_staircase(m, P, F, L, sw);
        /* SineGen2(causal) slices a buffer of U[0,1) noise drawn once at
         * construction: sample n, harmonic h is element n * H + h */
        nn_noise_fixed(noise, nz, 0, (size_t)H * L, NN_NOISE_SALT_SOURCE, NN_DIST_UNIFORM01);
    } else {
        sine_linear(m, P, F, L, sw);
        nn_noise_normal(noise, nz, (size_t)H * L, NN_NOISE_SALT_SOURCE);
    }
    mix_noise(m, f0, L, nz, sw);
    free(P), free(nz);
    return cv_ok();
}

cv_status hift_source(const hift_model *m, const float *f0, int T, nn_noise *noise,
                      float *source)
{
    const hift_config *c = &m->cfg;
    const int L = T * m->spf, H = c->nb_harmonics + 1;
    if (T <= 0) return cv_error(CV_INVALID_ARGUMENT, "hift: empty f0");
    if (H > HIFT_MAX_HARMONICS)
        return cv_error(CV_INVALID_ARGUMENT, "hift: %d harmonics (at most %d)", H,
                        HIFT_MAX_HARMONICS);
    float *sw = malloc(sizeof(float) * H * L);
    if (!sw) return hift_oom();
    cv_status st = c->sine == HIFT_SINE_SAMPLES ? sine_samples(m, f0, L, noise, sw)
                                                : sine_frames(m, f0, T, L, noise, sw);
    if (cv_is_ok(&st)) { /* merge the harmonics: tanh(Linear(H -> 1)) */
        for (int t = 0; t < L; t++) source[t] = m->src_b[0];
        nn_gemm(false, false, 1, L, H, 1.0f, m->src_w, H, sw, L, 1.0f, source, L);
        nn_tanh(source, source, (size_t)L);
    }
    free(sw);
    return st;
}
