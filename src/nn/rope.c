#include "nn/rope.h"

#include <math.h>

void nn_rope_inv_freq(double theta, int D, float *inv_freq)
{
    /* 1.0 / (base ** (arange(0, D, 2).float() / D)): the exponent is a
     * float32 quotient, the power and the reciprocal float32 results */
    float base = (float)theta;
    for (int j = 0; j < D / 2; j++) {
        float e = (float)(2 * j) / (float)D;
        float p = (float)pow((double)base, (double)e);
        inv_freq[j] = 1.0f / p;
    }
}

void nn_rope_half(float *x, int n, int ld, int heads, int D, int pos0, const float *inv_freq)
{
    int half = D / 2;
    float c[512], s[512]; /* D/2 <= 512: head sizes of 1024 dims and less */
    for (int i = 0; i < n; i++) {
        float p = (float)(pos0 + i);
        for (int j = 0; j < half && j < 512; j++) {
            float a = inv_freq[j] * p;
            c[j] = cosf(a);
            s[j] = sinf(a);
        }
        float *row = x + (long)i * ld;
        for (int h = 0; h < heads; h++) {
            float *v = row + (long)h * D;
            for (int j = 0; j < half; j++) {
                float a = v[j], b = v[j + half];
                v[j] = a * c[j] - b * s[j];
                v[j + half] = b * c[j] + a * s[j];
            }
        }
    }
}
