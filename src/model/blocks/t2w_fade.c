/* Cross-fade and time-stretch helpers; see t2w_fade.h. */
#include "model/blocks/t2w_fade.h"

#include <math.h>
#include <stdlib.h>

void t2w_hamming(double *w, int n)
{
    if (n == 1) {
        w[0] = 1.0;
        return;
    }
    for (int i = 0; i < n; i++) w[i] = 0.54 - 0.46 * cos(2.0 * M_PI * i / (n - 1));
}

void t2w_fade_in_out(float *a, const float *b, int n, int half, const double *window)
{
    for (int i = 0; i < n && i < half; i++)
        a[i] = (float)((double)a[i] * window[i] + (double)b[i] * window[half + i]);
}

cv_status t2w_time_stretch(const float *mel, int C, int T, float speed, float **out, int *T_out)
{
    *out = NULL;
    *T_out = 0;
    if (!(speed > 0.0f)) return cv_error(CV_INVALID_ARGUMENT, "speed must be > 0");
    int To = (int)(T / speed);
    if (To < 1) return cv_error(CV_INVALID_ARGUMENT, "speed %g leaves no audio", (double)speed);
    float *y = malloc((size_t)C * To * sizeof(float));
    if (!y) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    float scale = (float)T / (float)To;
    for (int j = 0; j < To; j++) {
        float src = scale * ((float)j + 0.5f) - 0.5f;
        if (src < 0.0f) src = 0.0f;
        int i0 = (int)src;
        int i1 = i0 + (i0 < T - 1 ? 1 : 0);
        float l1 = src - (float)i0, l0 = 1.0f - l1;
        for (int c = 0; c < C; c++)
            y[(size_t)c * To + j] = l0 * mel[(size_t)c * T + i0] + l1 * mel[(size_t)c * T + i1];
    }
    *out = y;
    *T_out = To;
    return cv_ok();
}

cv_status t2w_time_stretch_owned(float **mel, int C, int *T, float speed)
{
    if (speed == 1.0f) return cv_ok();
    float *stretched;
    int Ts;
    cv_status st = t2w_time_stretch(*mel, C, *T, speed, &stretched, &Ts);
    if (!cv_is_ok(&st)) return st;
    free(*mel);
    *mel = stretched;
    *T = Ts;
    return cv_ok();
}
