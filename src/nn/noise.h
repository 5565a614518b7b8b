/* Pluggable source of randomness for the generative layers (flow's initial
 * noise, the vocoder's sine source). Production uses seeded Gaussian noise;
 * parity tests use the golden data's deterministic stand-in, det_noise:
 * element k (flat C order) = (float)sin(12.9898*k + salt) in double, and zero
 * for uniform draws (the reference's random phase offsets were set to 0).
 *
 * `salt` names the draw site (the golden data uses 1.25 for the flow noise
 * and 0.5 for the sine source); random sources ignore it. A source keeps
 * state, so use one per request/thread. */
#ifndef CV_NN_NOISE_H
#define CV_NN_NOISE_H

#include <stddef.h>
#include <stdint.h>

#define NN_NOISE_SALT_FLOW 1.25
#define NN_NOISE_SALT_SOURCE 0.5

/* Distributions of the fixed buffers (nn_noise.fixed). */
typedef enum nn_dist {
    NN_DIST_NORMAL,    /* N(0, 1): torch.randn */
    NN_DIST_UNIFORM01, /* U[0, 1): torch.rand */
} nn_dist;

typedef struct nn_noise nn_noise;
struct nn_noise {
    /* n samples of N(0,1), C order of the tensor being drawn */
    void (*normal)(nn_noise *self, float *out, size_t n, double salt);
    /* n samples of U(lo, hi) */
    void (*uniform)(nn_noise *self, float *out, size_t n, float lo, float hi);
    /* Elements first .. first+n-1 (flat C order) of a fixed buffer of the
     * given distribution: CosyVoice2/3 draw some noise once per model (the
     * flow's [1, 80, 15000] z, the causal vocoder's [1, 7200000, 9] sine
     * noise) and slice it in every call, so a frame gets the same noise in
     * every chunk and every call. Stateless: a function of (first + i, salt,
     * dist) only, the same for every source of one kind, from any thread;
     * so a 260 MB buffer never has to be held. det_noise gives
     * det(first + i, salt) for both distributions. */
    void (*fixed)(const nn_noise *self, float *out, size_t first, size_t n, double salt,
                  nn_dist dist);
    void (*destroy)(nn_noise *self);
};

/* Seeded PRNG (xoshiro256**) with Box-Muller for the normal draws; its
 * fixed buffers are a counter-based hash of (index, salt) (splitmix64),
 * independent of the seed. */
nn_noise *nn_noise_gaussian_new(uint64_t seed);
/* det_noise as described above. */
nn_noise *nn_noise_det_new(void);
void nn_noise_free(nn_noise *n);

static inline void nn_noise_normal(nn_noise *n, float *out, size_t count, double salt)
{
    n->normal(n, out, count, salt);
}
static inline void nn_noise_uniform(nn_noise *n, float *out, size_t count, float lo,
                                    float hi)
{
    n->uniform(n, out, count, lo, hi);
}

static inline void nn_noise_fixed(const nn_noise *n, float *out, size_t first, size_t count,
                                  double salt, nn_dist dist)
{
    n->fixed(n, out, first, count, salt, dist);
}

/* The golden det_noise function itself. */
void nn_det_noise(float *out, size_t n, double salt);

#endif
