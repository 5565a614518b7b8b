#include "model/blocks/llm_sampling.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

llm_rng llm_rng_seed(uint64_t seed)
{
    llm_rng r;
    /* the 48-bit state of seed48(): low word fixed as srand48 does, the
     * seed's bits spread over the rest */
    r.x[0] = (unsigned short)(0x330e ^ (seed >> 32));
    r.x[1] = (unsigned short)(seed & 0xffff);
    r.x[2] = (unsigned short)((seed >> 16) & 0xffff);
    return r;
}

double llm_rng_uniform(llm_rng *r) { return erand48(r->x); }

llm_sampling_params llm_sampling_defaults(void)
{
    return (llm_sampling_params){.top_p = 0.8f, .top_k = 25, .win_size = 10, .tau_r = 0.1f};
}

cv_status llm_sampling_from_yaml(const yaml_config *y, const char *path,
                                 llm_sampling_params *out)
{
    char key[256];
    const char *tag = yaml_config_tag(y, path);
    if (tag && strcmp(tag, "cosyvoice.utils.common.ras_sampling") != 0)
        return cv_error(CV_UNIMPLEMENTED, "%s: sampling %s is not supported", path, tag);
    llm_sampling_params d = llm_sampling_defaults();
#define KEY(k) (snprintf(key, sizeof key, "%s." k, path), key)
    out->top_p = (float)yaml_config_float(y, KEY("top_p"), d.top_p);
    out->top_k = (int)yaml_config_int(y, KEY("top_k"), d.top_k);
    out->win_size = (int)yaml_config_int(y, KEY("win_size"), d.win_size);
    out->tau_r = (float)yaml_config_float(y, KEY("tau_r"), d.tau_r);
#undef KEY
    return cv_ok();
}

int llm_sample_greedy(const float *scores, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (scores[i] > scores[best]) best = i;
    return best;
}

static float row_max(const float *s, int n)
{
    float m = -INFINITY;
    for (int i = 0; i < n; i++)
        if (s[i] > m) m = s[i];
    return m;
}

/* Picks index k with probability w[k] / sum(w). */
static int draw(const float *w, const int *idx, int n, llm_rng *rng)
{
    double total = 0;
    for (int k = 0; k < n; k++) total += w[k];
    if (!(total > 0)) return -1;
    double u = llm_rng_uniform(rng) * total, acc = 0;
    int last = -1;
    for (int k = 0; k < n; k++) {
        if (w[k] <= 0) continue;
        acc += w[k];
        last = k;
        if (u < acc) break;
    }
    return idx ? idx[last] : last;
}

int llm_sample_nucleus(const float *scores, int n, float top_p, int top_k, llm_rng *rng)
{
    if (top_k < 1) top_k = 1;
    float m = row_max(scores, n);
    if (m == -INFINITY) return -1;
    /* softmax denominators, then the top_k largest probabilities in stable
     * descending order (an earlier index wins ties, as a stable sort does) */
    float z = 0;
    for (int i = 0; i < n; i++) z += expf(scores[i] - m);
    int *idx = malloc((size_t)top_k * sizeof(int));
    float *p = malloc((size_t)top_k * sizeof(float));
    if (!idx || !p) {
        free(idx), free(p);
        return llm_sample_greedy(scores, n);
    }
    int cnt = 0;
    for (int i = 0; i < n; i++) {
        float pi = expf(scores[i] - m) / z;
        if (cnt == top_k && !(pi > p[cnt - 1])) continue;
        int at = cnt < top_k ? cnt++ : top_k - 1;
        while (at > 0 && pi > p[at - 1]) {
            p[at] = p[at - 1];
            idx[at] = idx[at - 1];
            at--;
        }
        p[at] = pi;
        idx[at] = i;
    }
    /* keep taking tokens while the mass so far is below top_p */
    float cum = 0;
    int take = 0;
    while (take < cnt && cum < top_p) cum += p[take++];
    int pick = draw(p, idx, take, rng);
    free(idx), free(p);
    return pick;
}

int llm_sample_random(const float *scores, int n, llm_rng *rng)
{
    float m = row_max(scores, n);
    if (m == -INFINITY) return -1;
    float *w = malloc((size_t)n * sizeof(float));
    if (!w) return llm_sample_greedy(scores, n);
    for (int i = 0; i < n; i++) w[i] = expf(scores[i] - m);
    int pick = draw(w, NULL, n, rng);
    free(w);
    return pick;
}

int llm_sample_ras(float *scores, int n, const int32_t *decoded, int n_decoded,
                   const llm_sampling_params *p, llm_rng *rng)
{
    int pick = llm_sample_nucleus(scores, n, p->top_p, p->top_k, rng);
    if (pick < 0) return pick;
    int from = n_decoded > p->win_size ? n_decoded - p->win_size : 0;
    int rep = 0;
    for (int i = from; i < n_decoded; i++) rep += decoded[i] == pick;
    if ((float)rep >= (float)p->win_size * p->tau_r) {
        scores[pick] = -INFINITY;
        int alt = llm_sample_random(scores, n, rng);
        if (alt >= 0) pick = alt;
    }
    return pick;
}
