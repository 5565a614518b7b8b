#include "nn/noise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void nn_det_noise(float *out, size_t n, double salt)
{
    for (size_t k = 0; k < n; k++) out[k] = (float)sin(12.9898 * (double)k + salt);
}

/* ---- deterministic ------------------------------------------------------ */
static void det_normal(nn_noise *self, float *out, size_t n, double salt)
{
    (void)self;
    nn_det_noise(out, n, salt);
}
static void det_uniform(nn_noise *self, float *out, size_t n, float lo, float hi)
{
    (void)self, (void)lo, (void)hi;
    for (size_t i = 0; i < n; i++) out[i] = 0.0f;
}
static void det_fixed(const nn_noise *self, float *out, size_t first, size_t n, double salt,
                      nn_dist dist)
{
    (void)self, (void)dist;
    for (size_t k = 0; k < n; k++) out[k] = (float)sin(12.9898 * (double)(first + k) + salt);
}
static void plain_destroy(nn_noise *self) { free(self); }

nn_noise *nn_noise_det_new(void)
{
    nn_noise *n = malloc(sizeof *n);
    if (!n) return NULL;
    n->normal = det_normal;
    n->uniform = det_uniform;
    n->fixed = det_fixed;
    n->destroy = plain_destroy;
    return n;
}

/* ---- seeded Gaussian ---------------------------------------------------- */
typedef struct gauss_noise {
    nn_noise base; /* first member: nn_noise* and gauss_noise* convert */
    uint64_t s[4];
} gauss_noise;

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t xoshiro_next(uint64_t *s)
{
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

/* uniform in (0, 1): 53 random bits, never exactly 0 (log in Box-Muller) */
static double unit_open(uint64_t *s)
{
    return ((double)(xoshiro_next(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static void gauss_normal(nn_noise *self, float *out, size_t n, double salt)
{
    (void)salt;
    uint64_t *s = ((gauss_noise *)self)->s;
    for (size_t i = 0; i < n; i += 2) {
        double r = sqrt(-2.0 * log(unit_open(s))), th = 2.0 * M_PI * unit_open(s);
        out[i] = (float)(r * cos(th));
        if (i + 1 < n) out[i + 1] = (float)(r * sin(th));
    }
}

static void gauss_uniform(nn_noise *self, float *out, size_t n, float lo, float hi)
{
    uint64_t *s = ((gauss_noise *)self)->s;
    for (size_t i = 0; i < n; i++) out[i] = lo + (hi - lo) * (float)unit_open(s);
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The splitmix64 finaliser of a counter: uniform 64-bit values from
 * consecutive indices. */
static uint64_t hash_index(uint64_t k)
{
    return splitmix64(&k);
}

static double unit_of(uint64_t r) /* (0, 1) from 53 bits */
{
    return ((double)(r >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static void gauss_fixed(const nn_noise *self, float *out, size_t first, size_t n, double salt,
                        nn_dist dist)
{
    (void)self;
    /* one stream per draw site: the salt's bits select it */
    uint64_t site;
    memcpy(&site, &salt, sizeof site);
    site = hash_index(site) << 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = (uint64_t)(first + i);
        if (dist == NN_DIST_UNIFORM01) {
            out[i] = (float)((double)(hash_index(site ^ (k << 1)) >> 40) * (1.0 / 16777216.0));
        } else { /* Box-Muller on two hashed uniforms of element k */
            double u1 = unit_of(hash_index(site ^ (k << 1))),
                   u2 = unit_of(hash_index(site ^ ((k << 1) | 1)));
            out[i] = (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
        }
    }
}

nn_noise *nn_noise_gaussian_new(uint64_t seed)
{
    gauss_noise *g = malloc(sizeof *g);
    if (!g) return NULL;
    g->base.normal = gauss_normal;
    g->base.uniform = gauss_uniform;
    g->base.fixed = gauss_fixed;
    g->base.destroy = plain_destroy;
    for (int i = 0; i < 4; i++) g->s[i] = splitmix64(&seed); /* never all zero */
    return &g->base;
}

void nn_noise_free(nn_noise *n)
{
    if (n) n->destroy(n);
}
