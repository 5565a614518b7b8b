/* Voice analysis: a YIN pitch tracker (de Cheveigné & Kawahara 2002), an
 * energy-based speech activity measure, syllable nuclei from the energy
 * envelope, and syllable counting for transcripts. */
#include "engine/espeak/prompt_analysis.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "audio/resample.h"
#include "common/utf8.h"

#define YIN_THRESHOLD 0.2f
#define PITCH_RATE 8000
#define SILENCE_BELOW_PEAK_DB 35.0f /* frames this far below the loudest are silence */
#define ABS_FLOOR_DBFS -70.0f
#define BRIDGE_GAP_SECONDS 0.25 /* shorter gaps count as part of the speech */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* One YIN estimate for the frame starting at x (needs w + tau_max samples). */
static float yin_frame(const float *x, int w, int tau_min, int tau_max, int rate, float *d)
{
    d[0] = 1.0f;
    double running = 0.0;
    for (int tau = 1; tau <= tau_max; tau++) {
        double s = 0.0;
        for (int j = 0; j < w; j++) {
            double e = (double)x[j] - x[j + tau];
            s += e * e;
        }
        running += s;
        d[tau] = running > 0 ? (float)(s * tau / running) : 1.0f;
    }
    int best = -1;
    for (int tau = tau_min; tau <= tau_max; tau++) {
        if (d[tau] < YIN_THRESHOLD) {
            while (tau + 1 <= tau_max && d[tau + 1] < d[tau])
                tau++;
            best = tau;
            break;
        }
    }
    if (best < 0)
        return 0.0f;
    /* Parabolic interpolation around the minimum for sub-sample lag. */
    float lag = (float)best;
    if (best > 1 && best < tau_max) {
        float a = d[best - 1], b = d[best], c = d[best + 1];
        float den = a - 2 * b + c;
        if (den > 1e-9f)
            lag += 0.5f * (a - c) / den;
    }
    return (float)rate / lag;
}

float *pitch_track(const float *x, size_t n, int rate, float fmin, float fmax, size_t *n_frames)
{
    int hop = (int)lround(rate * PA_HOP_SECONDS);
    int tau_max = (int)ceil(rate / fmin);
    int tau_min = (int)floor(rate / fmax);
    int w = (int)lround(rate * 0.025);
    if (w < tau_max / 2)
        w = tau_max / 2;
    size_t frames = n / (size_t)hop + 1;
    float *f0 = calloc(frames, sizeof *f0);
    float *d = malloc((size_t)(tau_max + 1) * sizeof *d);
    if (!f0 || !d) {
        free(f0);
        free(d);
        return NULL;
    }
    for (size_t i = 0; i < frames; i++) {
        size_t start = i * (size_t)hop;
        if (start + (size_t)(w + tau_max) > n)
            break;
        f0[i] = yin_frame(x + start, w, tau_min, tau_max, rate, d);
    }
    free(d);
    *n_frames = frames;
    return f0;
}

/* Frame levels in dB (RMS over 20 ms centred on each 10 ms hop). */
static float *frame_levels_db(const float *x, size_t n, int rate, size_t frames)
{
    int hop = (int)lround(rate * PA_HOP_SECONDS);
    int half = hop;
    float *db = malloc(frames * sizeof *db);
    if (!db)
        return NULL;
    for (size_t i = 0; i < frames; i++) {
        long c = (long)(i * (size_t)hop) + hop / 2;
        long a = c - half < 0 ? 0 : c - half, b = c + half > (long)n ? (long)n : c + half;
        double s = 0.0;
        for (long j = a; j < b; j++)
            s += (double)x[j] * x[j];
        double ms = b > a ? s / (double)(b - a) : 0.0;
        db[i] = ms > 1e-12 ? (float)(10.0 * log10(ms)) : -120.0f;
    }
    return db;
}

/* Counts peaks of the smoothed level contour that stand out from the dip
 * before them and fall on voiced frames: one per syllable nucleus. */
static int count_nuclei(const float *db, const float *f0, const bool *active, size_t frames)
{
    float *sm = malloc(frames * sizeof *sm);
    if (!sm)
        return 0;
    for (size_t i = 0; i < frames; i++) {
        double s = 0;
        int c = 0;
        for (long k = (long)i - 3; k <= (long)i + 3; k++)
            if (k >= 0 && k < (long)frames) {
                s += db[k];
                c++;
            }
        sm[i] = (float)(s / c);
    }
    const float prominence = 2.0f;
    const size_t min_gap = 10; /* frames: 100 ms between nuclei at least */
    int count = 0;
    float dip = INFINITY;
    size_t last = 0;
    bool have_last = false;
    for (size_t i = 1; i + 1 < frames; i++) {
        if (sm[i] < dip)
            dip = sm[i];
        if (!active[i] || !(sm[i] >= sm[i - 1] && sm[i] > sm[i + 1]))
            continue;
        bool voiced = false;
        for (long k = (long)i - 3; k <= (long)i + 3; k++)
            if (k >= 0 && k < (long)frames && f0[k] > 0)
                voiced = true;
        if (!voiced || sm[i] - dip < prominence)
            continue;
        if (have_last && i - last < min_gap)
            continue;
        count++;
        last = i;
        have_last = true;
        dip = sm[i];
    }
    free(sm);
    return count;
}

int voice_analyze(const int16_t *pcm, size_t n, int rate, voice_analysis *out)
{
    memset(out, 0, sizeof *out);
    float *x = malloc((n ? n : 1) * sizeof *x);
    if (!x)
        return -1;
    for (size_t i = 0; i < n; i++)
        x[i] = pcm[i] / 32768.0f;
    /* Pitch is tracked at 8 kHz: plenty for F0 up to 500 Hz, and YIN's cost
     * grows with the square of the rate. */
    size_t frames = 0, n8 = 0;
    float *x8 = resample_float(x, n, rate, PITCH_RATE, &n8);
    float *f0 = x8 ? pitch_track(x8, n8, PITCH_RATE, 60.0f, 500.0f, &frames) : NULL;
    free(x8);
    size_t level_frames = n / (size_t)lround(rate * PA_HOP_SECONDS) + 1;
    if (level_frames < frames)
        frames = level_frames;
    float *db = f0 ? frame_levels_db(x, n, rate, frames) : NULL;
    bool *active = db ? calloc(frames ? frames : 1, sizeof *active) : NULL;
    float *voiced = active ? malloc((frames ? frames : 1) * sizeof *voiced) : NULL;
    if (!voiced) {
        free(x);
        free(f0);
        free(db);
        free(active);
        return -1;
    }
    float peak = -120.0f;
    for (size_t i = 0; i < frames; i++)
        if (db[i] > peak)
            peak = db[i];
    float floor_db = peak - SILENCE_BELOW_PEAK_DB;
    if (floor_db < ABS_FLOOR_DBFS)
        floor_db = ABS_FLOOR_DBFS;
    double energy = 0.0;
    size_t n_active = 0, n_voiced = 0;
    for (size_t i = 0; i < frames; i++) {
        active[i] = db[i] > floor_db;
        if (active[i]) {
            energy += pow(10.0, db[i] / 10.0);
            n_active++;
        }
        if (!active[i])
            f0[i] = 0.0f;
        if (f0[i] > 0)
            voiced[n_voiced++] = f0[i];
    }
    /* Speech duration: active frames plus the short gaps between them. */
    size_t bridge = (size_t)lround(BRIDGE_GAP_SECONDS / PA_HOP_SECONDS);
    size_t speech = 0;
    long prev = -1;
    for (size_t i = 0; i < frames; i++) {
        if (!active[i])
            continue;
        if (prev >= 0 && i - (size_t)prev - 1 <= bridge)
            speech += i - (size_t)prev;
        else
            speech += 1;
        prev = (long)i;
    }
    out->active_seconds = (float)(speech * PA_HOP_SECONDS);
    out->voiced_seconds = (float)(n_voiced * PA_HOP_SECONDS);
    out->rms_dbfs = n_active ? (float)(10.0 * log10(energy / (double)n_active)) : -120.0f;
    if (n_voiced) {
        qsort(voiced, n_voiced, sizeof *voiced, cmp_float);
        out->f0_median_hz = voiced[n_voiced / 2];
        out->f0_p10_hz = voiced[n_voiced / 10];
        out->f0_p90_hz = voiced[(n_voiced * 9) / 10];
    }
    out->nuclei = count_nuclei(db, f0, active, frames);
    out->nuclei_per_second = out->active_seconds > 0 ? out->nuclei / out->active_seconds : 0.0f;
    free(x);
    free(f0);
    free(db);
    free(active);
    free(voiced);
    return 0;
}

static bool is_vowel(int c)
{
    c = tolower(c);
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

/* Vowel groups in one Latin word, minus a silent final "e". */
static size_t latin_word_syllables(const char *w, size_t len)
{
    size_t groups = 0;
    bool in = false;
    for (size_t i = 0; i < len; i++) {
        bool v = is_vowel((unsigned char)w[i]);
        if (v && !in)
            groups++;
        in = v;
    }
    if (groups > 1 && len > 2 && tolower((unsigned char)w[len - 1]) == 'e' &&
        !is_vowel((unsigned char)w[len - 2]) && tolower((unsigned char)w[len - 2]) != 'l')
        groups--;
    return groups ? groups : 1;
}

static bool is_small_kana(uint32_t cp)
{
    /* ぁぃぅぇぉっゃゅょゎ and their katakana forms join the previous mora's syllable. */
    static const uint32_t small[] = {0x3041, 0x3043, 0x3045, 0x3047, 0x3049, 0x3063,
                                     0x3083, 0x3085, 0x3087, 0x308E};
    uint32_t h = (cp >= 0x30A1 && cp <= 0x30FA) ? cp - 0x60 : cp;
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
        if (h == small[i])
            return true;
    return false;
}

size_t text_syllable_count(const char *s)
{
    size_t len = strlen(s), count = 0, i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (isalpha(c)) {
                size_t j = i;
                while (j < len && ((unsigned char)s[j] < 0x80) &&
                       (isalpha((unsigned char)s[j]) || s[j] == '\''))
                    j++;
                count += latin_word_syllables(s + i, j - i);
                i = j;
            } else {
                i++;
            }
            continue;
        }
        uint32_t cp;
        int k = utf8_decode(s + i, len - i, &cp);
        if (k <= 0)
            break;
        i += (size_t)k;
        bool han = (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
                   (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF);
        bool kana = (cp >= 0x3041 && cp <= 0x3096) || (cp >= 0x30A1 && cp <= 0x30FA);
        bool hangul = cp >= 0xAC00 && cp <= 0xD7A3;
        if (han || hangul || (kana && !is_small_kana(cp)))
            count++;
    }
    return count;
}
