/* Rotary position embedding (RoPE) in the rotate-half form of
 * transformers' Llama/Qwen2 (apply_rotary_pos_emb): within each head of D
 * dims (D even), x' = x cos(a) + rotate_half(x) sin(a) with
 * rotate_half(x) = (-x[D/2..D), x[0..D/2)) and angle a(p, j) =
 * p * inv_freq[j mod D/2] for position p, every step in float32 as there. */
#ifndef CV_NN_ROPE_H
#define CV_NN_ROPE_H

/* inv_freq[j] = 1 / theta^(2j / D) for j < D/2, rounded as transformers'
 * default initialisation computes it in float32. */
void nn_rope_inv_freq(double theta, int D, float *inv_freq);

/* Rotates `heads` heads of D dims at the start of each row of x [n][ld]
 * (in place); row i is at position pos0 + i. */
void nn_rope_half(float *x, int n, int ld, int heads, int D, int pos0, const float *inv_freq);

#endif
