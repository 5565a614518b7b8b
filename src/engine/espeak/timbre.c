#include "engine/espeak/timbre.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "audio/resample.h"

#define LTAS_RATE 16000 /* analysis rate: a prompt's rate, engine output is resampled */
#define LTAS_FFT 512
#define LTAS_LO_HZ 100.0f
#define LTAS_HI_HZ 7600.0f
#define ACTIVE_BELOW_PEAK_DB 30.0f
#define DESIGN_GRID 512

/* FFTW planning is not thread-safe; one plan is made once and executed
 * with per-call (FFTW-allocated, hence aligned) arrays, which is. */
static pthread_once_t g_plan_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_plan_lock = PTHREAD_MUTEX_INITIALIZER;
static fftwf_plan g_plan;

static void make_plan(void)
{
    float *in = fftwf_malloc(LTAS_FFT * sizeof *in);
    fftwf_complex *out = fftwf_malloc((LTAS_FFT / 2 + 1) * sizeof *out);
    pthread_mutex_lock(&g_plan_lock);
    if (in && out)
        g_plan = fftwf_plan_dft_r2c_1d(LTAS_FFT, in, out, FFTW_ESTIMATE);
    pthread_mutex_unlock(&g_plan_lock);
    fftwf_free(in);
    fftwf_free(out);
}

static float band_edge(int i) { return LTAS_LO_HZ * powf(LTAS_HI_HZ / LTAS_LO_HZ, (float)i / LTAS_BANDS); }

float ltas_band_centre(int b) { return sqrtf(band_edge(b) * band_edge(b + 1)); }

int ltas_compute(const int16_t *pcm, size_t n, int rate, ltas *out)
{
    memset(out, 0, sizeof *out);
    pthread_once(&g_plan_once, make_plan);
    if (!g_plan)
        return -1;
    float *x = malloc((n ? n : 1) * sizeof *x);
    if (!x)
        return -1;
    for (size_t i = 0; i < n; i++)
        x[i] = pcm[i] / 32768.0f;
    size_t m = n;
    float *y = rate == LTAS_RATE ? x : resample_float(x, n, rate, LTAS_RATE, &m);
    if (y != x)
        free(x);
    if (!y)
        return -1;
    const size_t hop = LTAS_FFT / 2;
    size_t frames = m >= LTAS_FFT ? (m - LTAS_FFT) / hop + 1 : 0;
    float *in = fftwf_malloc(LTAS_FFT * sizeof *in);
    fftwf_complex *spec = fftwf_malloc((LTAS_FFT / 2 + 1) * sizeof *spec);
    double *power = calloc(frames ? frames : 1, sizeof(double) * (LTAS_FFT / 2 + 1));
    double *energy = calloc(frames ? frames : 1, sizeof *energy);
    int rc = -1;
    if (!in || !spec || !power || !energy)
        goto done;
    /* Pass 1: every frame's power spectrum and energy. */
    double peak = 0.0;
    for (size_t f = 0; f < frames; f++) {
        for (int i = 0; i < LTAS_FFT; i++) {
            float w = 0.5f - 0.5f * cosf(2.0f * (float)M_PI * i / LTAS_FFT);
            in[i] = y[f * hop + (size_t)i] * w;
        }
        fftwf_execute_dft_r2c(g_plan, in, spec);
        double *p = power + f * (LTAS_FFT / 2 + 1);
        for (int k = 0; k <= LTAS_FFT / 2; k++) {
            p[k] = (double)spec[k][0] * spec[k][0] + (double)spec[k][1] * spec[k][1];
            energy[f] += p[k];
        }
        if (energy[f] > peak)
            peak = energy[f];
    }
    /* Pass 2: average the active frames' power within each band. */
    double thresh = peak * pow(10.0, -ACTIVE_BELOW_PEAK_DB / 10.0);
    double band[LTAS_BANDS] = {0};
    int count[LTAS_BANDS] = {0};
    size_t active = 0;
    for (size_t f = 0; f < frames; f++) {
        if (!(energy[f] > thresh) || energy[f] <= 0)
            continue;
        active++;
        const double *p = power + f * (LTAS_FFT / 2 + 1);
        for (int k = 1; k < LTAS_FFT / 2; k++) {
            float hz = (float)k * LTAS_RATE / LTAS_FFT;
            for (int b = 0; b < LTAS_BANDS; b++)
                if (hz >= band_edge(b) && hz < band_edge(b + 1)) {
                    band[b] += p[k];
                    count[b]++;
                }
        }
    }
    out->valid = active > 0;
    for (int b = 0; b < LTAS_BANDS; b++) {
        double mean = count[b] ? band[b] / count[b] : 0.0;
        out->db[b] = mean > 1e-20 ? (float)(10.0 * log10(mean)) : -200.0f;
        if (!count[b])
            out->valid = false;
    }
    rc = 0;
done:
    fftwf_free(in);
    fftwf_free(spec);
    free(power);
    free(energy);
    free(y);
    return rc;
}

/* Desired gain (dB) at freq: linear in log-frequency between band centres,
 * held flat beyond the first and last. */
static float gain_at(const float *g, float hz)
{
    if (hz <= ltas_band_centre(0))
        return g[0];
    for (int b = 1; b < LTAS_BANDS; b++) {
        float c0 = ltas_band_centre(b - 1), c1 = ltas_band_centre(b);
        if (hz <= c1) {
            float t = logf(hz / c0) / logf(c1 / c0);
            return g[b - 1] + t * (g[b] - g[b - 1]);
        }
    }
    return g[LTAS_BANDS - 1];
}

void timbre_filter_design(timbre_filter *f, const ltas *target, const ltas *current,
                          float max_gain_db, int rate)
{
    memset(f, 0, sizeof *f);
    const int mid = TIMBRE_TAPS / 2;
    f->flat = true;
    if (target->valid && current->valid) {
        /* Shape difference only: each spectrum relative to its own mean. */
        float mt = 0, mc = 0;
        for (int b = 0; b < LTAS_BANDS; b++) {
            mt += target->db[b] / LTAS_BANDS;
            mc += current->db[b] / LTAS_BANDS;
        }
        float raw[LTAS_BANDS];
        for (int b = 0; b < LTAS_BANDS; b++)
            raw[b] = (target->db[b] - mt) - (current->db[b] - mc);
        /* Smooth across neighbouring bands, then bound. */
        for (int b = 0; b < LTAS_BANDS; b++) {
            float l = raw[b > 0 ? b - 1 : b], r = raw[b + 1 < LTAS_BANDS ? b + 1 : b];
            float g = 0.25f * l + 0.5f * raw[b] + 0.25f * r;
            g = g > max_gain_db ? max_gain_db : g < -max_gain_db ? -max_gain_db : g;
            f->band_gain_db[b] = g;
            if (fabsf(g) > 0.05f)
                f->flat = false;
        }
    }
    if (f->flat) {
        f->taps[mid] = 1.0f;
        return;
    }
    /* Frequency sampling on a DESIGN_GRID-point grid: the zero-phase
     * impulse response of the desired magnitude, Hann-windowed to
     * TIMBRE_TAPS taps (linear phase). */
    float mag[DESIGN_GRID / 2 + 1];
    for (int k = 0; k <= DESIGN_GRID / 2; k++)
        mag[k] = powf(10.0f, gain_at(f->band_gain_db, (float)k * rate / DESIGN_GRID) / 20.0f);
    for (int i = 0; i < TIMBRE_TAPS; i++) {
        int m = i - mid;
        double s = mag[0] + mag[DESIGN_GRID / 2] * cos(M_PI * m);
        for (int k = 1; k < DESIGN_GRID / 2; k++)
            s += 2.0 * mag[k] * cos(2.0 * M_PI * k * m / DESIGN_GRID);
        double w = 0.5 + 0.5 * cos(2.0 * M_PI * m / (TIMBRE_TAPS + 1));
        f->taps[i] = (float)(s / DESIGN_GRID * w);
    }
}

void timbre_filter_apply(timbre_filter *f, int16_t *pcm, size_t n)
{
    if (f->flat)
        return; /* a delta would only delay the signal */
    const int h = TIMBRE_TAPS - 1;
    float *x = malloc((n + (size_t)h) * sizeof *x);
    if (!x)
        return;
    memcpy(x, f->hist, (size_t)h * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[h + i] = pcm[i];
    for (size_t i = 0; i < n; i++) {
        float acc = 0.0f;
        const float *xi = x + i;
        for (int k = 0; k < TIMBRE_TAPS; k++)
            acc += f->taps[k] * xi[TIMBRE_TAPS - 1 - k];
        pcm[i] = (int16_t)(acc > 32767.f ? 32767 : acc < -32768.f ? -32768 : lrintf(acc));
    }
    memcpy(f->hist, x + n, (size_t)h * sizeof *x);
    free(x);
}

float timbre_filter_response_db(const timbre_filter *f, float freq_hz, int rate)
{
    double re = 0, im = 0, w = 2.0 * M_PI * freq_hz / rate;
    for (int i = 0; i < TIMBRE_TAPS; i++) {
        re += f->taps[i] * cos(w * i);
        im -= f->taps[i] * sin(w * i);
    }
    double mag = sqrt(re * re + im * im);
    return mag > 1e-12 ? (float)(20.0 * log10(mag)) : -240.0f;
}
