/* Element-wise activations of the flow decoder, written so the compiler can
 * vectorise the loops (no libm calls in GELU's hot path). */
#ifndef CV_MODEL_FLOW_ACT_H
#define CV_MODEL_FLOW_ACT_H

#include <math.h>
#include <stddef.h>

/* Mish: x * tanh(softplus(x)), softplus with PyTorch's threshold 20. */
static inline void flow_mish(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float sp = v > 20.0f ? v : log1pf(expf(v));
        x[i] = v * tanhf(sp);
    }
}

static inline void flow_silu(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + expf(-x[i]));
}

/* Exact (erf) GELU as torch.nn.functional.gelu(approximate='none'). */
static inline void flow_gelu(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

#endif
