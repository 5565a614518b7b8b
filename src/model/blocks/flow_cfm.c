/* ConditionalCFM inference; see flow_cfm.h. */
#include "model/blocks/flow_cfm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

cv_status flow_cfm_cache(float *z, float *mu, int M, int T, const float *cache_in,
                         int cache_len, int prompt_len, float **cache_out, int *out_len) {
    *cache_out = NULL;
    *out_len = 0;
    if (cache_len < 0 || cache_len > T || prompt_len < 0 || prompt_len > T)
        return cv_error(CV_INVALID_ARGUMENT, "flow cache: %d frames for %d", cache_len, T);
    for (int c = 0; c < M; c++)
        for (int t = 0; t < cache_len; t++) {
            z[(size_t)c * T + t] = cache_in[((size_t)c * cache_len + t) * 2];
            mu[(size_t)c * T + t] = cache_in[((size_t)c * cache_len + t) * 2 + 1];
        }
    int tail = T < FLOW_CACHE_TAIL ? T : FLOW_CACHE_TAIL;
    int L = prompt_len + tail;
    float *o = malloc((size_t)M * L * 2 * sizeof(float));
    if (!o) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    for (int c = 0; c < M; c++)
        for (int j = 0; j < L; j++) {
            int t = j < prompt_len ? j : T - tail + (j - prompt_len);
            o[((size_t)c * L + j) * 2] = z[(size_t)c * T + t];
            o[((size_t)c * L + j) * 2 + 1] = mu[(size_t)c * T + t];
        }
    *cache_out = o;
    *out_len = L;
    return cv_ok();
}

/* torch.linspace(0, 1, n + 1) in float32, then the optional cosine warp. */
static void time_span(int n, int cosine, float *ts) {
    float step = 1.0f / (float)n;
    int half = (n + 1) / 2;
    for (int i = 0; i <= n; i++) {
        ts[i] = i < half ? (float)i * step : 1.0f - (float)(n - i) * step;
        if (cosine) ts[i] = 1.0f - cosf(ts[i] * 0.5f * (float)M_PI);
    }
}

cv_status flow_cfm_solve(flow_estimator *est, const flow_cfm_params *p, int M, int T,
                         const float *mu, const float *mask, const float *spks,
                         const float *cond, const cv_stop *stop, float *x) {
    if (p->n_timesteps < 1 || T < 1) return cv_error(CV_INVALID_ARGUMENT, "flow cfm: bad sizes");
    size_t N = (size_t)2 * T;
    float *ts = malloc((size_t)(p->n_timesteps + 1) * sizeof(float));
    float *buf = calloc((size_t)M * N * 4 + N + 2 * (size_t)M, sizeof(float));
    if (!ts || !buf) {
        free(ts);
        free(buf);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    /* batch item 0 is conditional, item 1 has mu, spks and cond zeroed */
    float *x_in = buf, *mu_in = x_in + M * N, *cond_in = mu_in + M * N, *out = cond_in + M * N;
    float *mask_in = out + M * N, *spks_in = mask_in + N;
    for (int c = 0; c < M; c++) {
        memcpy(mu_in + c * N, mu + (size_t)c * T, (size_t)T * sizeof(float));
        memcpy(cond_in + c * N, cond + (size_t)c * T, (size_t)T * sizeof(float));
    }
    memcpy(spks_in, spks, (size_t)M * sizeof(float));
    for (int i = 0; i < 2; i++)
        for (int t = 0; t < T; t++) mask_in[(size_t)i * T + t] = mask ? mask[t] : 1.0f;
    time_span(p->n_timesteps, p->cosine, ts);
    float t = ts[0], dt = ts[1] - ts[0];
    float w1 = 1.0f + p->cfg_rate, w2 = p->cfg_rate;
    cv_status st = cv_ok();
    for (int step = 1; step <= p->n_timesteps; step++) {
        if (cv_stop_requested(stop)) {
            st = cv_error(CV_CANCELLED, "cancelled");
            break;
        }
        for (int c = 0; c < M; c++) {
            memcpy(x_in + c * N, x + (size_t)c * T, (size_t)T * sizeof(float));
            memcpy(x_in + c * N + T, x + (size_t)c * T, (size_t)T * sizeof(float));
        }
        float tt[2] = {t, t};
        st = flow_estimator_forward(est, 2, T, x_in, mu_in, tt, spks_in, cond_in,
                                    mask ? mask_in : NULL, out);
        if (!cv_is_ok(&st)) break;
        for (int c = 0; c < M; c++) {
            const float *d = out + c * N, *u = d + T;
            float *xr = x + (size_t)c * T;
            for (int i = 0; i < T; i++) xr[i] = xr[i] + dt * (w1 * d[i] - w2 * u[i]);
        }
        t = t + dt;
        if (step < p->n_timesteps) dt = ts[step + 1] - t;
    }
    free(ts);
    free(buf);
    return st;
}
