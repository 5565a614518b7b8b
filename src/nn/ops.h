/* Elementwise operations, activations, normalisations and softmax on plain
 * float arrays. Conventions: sequences are channel-first [C][T] (as PyTorch's
 * Conv1d sees them) or row-major [n][d] (as a Linear sees them); every
 * function documents which. Output pointers may equal the input ("in place")
 * unless stated otherwise. Formulas match the PyTorch modules of the same
 * name in float32. */
#ifndef CV_NN_OPS_H
#define CV_NN_OPS_H

#include <stddef.h>

/* ---- elementwise ------------------------------------------------------- */
void nn_add(float *y, const float *a, size_t n);                  /* y += a */
void nn_add_to(float *y, const float *a, const float *b, size_t n); /* y = a+b */
void nn_sub_to(float *y, const float *a, const float *b, size_t n); /* y = a-b */
void nn_mul(float *y, const float *a, size_t n);                  /* y *= a */
void nn_axpy(float *y, float s, const float *a, size_t n);        /* y += s*a */
void nn_scale(float *y, float s, size_t n);                       /* y *= s */
void nn_fill(float *y, float v, size_t n);
void nn_clamp(float *y, float lo, float hi, size_t n);
void nn_exp(float *y, size_t n);
void nn_sin(float *y, size_t n);
void nn_abs(float *y, size_t n);
/* x[C][T] += b[c] for every t (a Conv1d bias). */
void nn_add_channel_bias(float *x, int C, int T, const float *b);
/* x[n][d] += b[j] for every row (a Linear bias). */
void nn_add_row_bias(float *x, int n, int d, const float *b);
/* dst[c][r] = src[r][c] for src [R][C]; dst must not alias src. */
void nn_transpose(const float *src, int R, int C, float *dst);

/* ---- activations (y may equal x) ---------------------------------------- */
void nn_relu(const float *x, float *y, size_t n);
void nn_leaky_relu(const float *x, float *y, size_t n, float slope);
void nn_elu(const float *x, float *y, size_t n, float alpha);
void nn_tanh(const float *x, float *y, size_t n);
void nn_sigmoid(const float *x, float *y, size_t n);
void nn_silu(const float *x, float *y, size_t n);          /* x * sigmoid(x) */
void nn_mish(const float *x, float *y, size_t n);          /* x * tanh(softplus(x)) */
void nn_gelu(const float *x, float *y, size_t n);          /* exact, erf form */
void nn_gelu_tanh(const float *x, float *y, size_t n);     /* tanh approximation */
/* Snake on [C][T]: y = x + sin(a_c x)^2 / (a_c + 1e-9), per-channel a
 * (BigVGAN/CosyVoice, alpha_logscale=False). */
void nn_snake(const float *x, float *y, int C, int T, const float *alpha);

/* ---- normalisation ------------------------------------------------------ */
/* LayerNorm over the last dim of x[n][d]; gamma/beta [d] may be NULL. */
void nn_layer_norm(const float *x, float *y, int n, int d, const float *gamma,
                   const float *beta, float eps);
/* GroupNorm on x[C][T] (batch 1): statistics over each group of C/groups
 * channels x T; gamma/beta [C] may be NULL. */
void nn_group_norm(const float *x, float *y, int C, int T, int groups,
                   const float *gamma, const float *beta, float eps);

/* RMSNorm over the last dim of x[n][d] (transformers' Qwen2RMSNorm):
 * y = w * (x / sqrt(mean(x^2) + eps)); w [d] may be NULL. */
void nn_rms_norm(const float *x, float *y, int n, int d, const float *w, float eps);

/* ---- softmax over rows of x[n][d], in place ------------------------------ */
/* A row that is entirely -inf becomes all zeros (what masked attention
 * wants) instead of NaN. */
void nn_softmax_rows(float *x, int n, int d);
void nn_log_softmax_rows(float *x, int n, int d);

/* ---- resampling along time of x[C][T] ----------------------------------- */
/* y[C][T*scale]: nearest neighbour (torch.nn.Upsample(scale_factor=int)). */
void nn_upsample_nearest(const float *x, int C, int T, int scale, float *y);
/* y[C][Tout]: F.interpolate(mode='linear', align_corners=False, size=Tout). */
void nn_interp_linear(const float *x, int C, int T, int Tout, float *y);

#endif
