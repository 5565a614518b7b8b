/* Random hift.pt weights discovered through the loader; see hift_random.h. */
#include "random/hift_random.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses "[a,b,c]" after `marker` in msg. */
static int parse_shape(const char *msg, const char *marker, int64_t *shape)
{
    const char *p = strstr(msg, marker);
    if (!p) return -1;
    p += strlen(marker);
    int nd = 0;
    while (*p && *p != ']' && nd < PT_MAX_DIMS) {
        char *end;
        shape[nd++] = strtoll(p, &end, 10);
        if (end == p) return -1;
        p = *end == ',' ? end + 1 : end;
    }
    return *p == ']' ? nd : -1;
}

static pt_tensor *find(pt_dict *d, const char *name)
{
    for (size_t i = 0; i < d->count; i++)
        if (strcmp(d->items[i].name, name) == 0) return &d->items[i];
    return NULL;
}

/* Fills t with PyTorch-like init values: Snake alphas 1, biases small,
 * weights uniform in +-1/sqrt(fan_in). */
static cv_status fill(pt_tensor *t, rw_rng *rng)
{
    int64_t n = pt_numel(t);
    free(t->data);
    t->data = malloc((size_t)n * sizeof(float));
    if (!t->data) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    size_t len = strlen(t->name);
    int alpha = len > 6 && !strcmp(t->name + len - 6, ".alpha");
    int bias = len > 5 && !strcmp(t->name + len - 5, ".bias");
    double amp = bias ? 0.01 : 1.0 / sqrt((double)(n / (t->ndim ? t->shape[0] : 1)));
    for (int64_t i = 0; i < n; i++)
        t->data[i] = alpha ? 1.0f : (float)((erand48(rng->x) * 2.0 - 1.0) * amp);
    return cv_ok();
}

static cv_status add_placeholder(pt_dict *d, const char *name, rw_rng *rng)
{
    pt_tensor *v = realloc(d->items, (d->count + 1) * sizeof *v);
    if (!v) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    d->items = v;
    pt_tensor *t = &v[d->count++];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    t->ndim = 1;
    t->shape[0] = 1;
    return t->name ? fill(t, rng) : cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
}

/* ConvRNNF0Predictor's five convolutions (condnet.0, .2, ... .8): the
 * loader takes as many as the file has, so they are named up front. */
#define F0_CONVS 5

cv_status hift_random_state_dict(const hift_config *cfg, rw_rng *rng, pt_dict *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < F0_CONVS; i++) {
        char name[64];
        snprintf(name, sizeof name, "f0_predictor.condnet.%d.weight", 2 * i);
        cv_status st = add_placeholder(out, name, rng);
        if (!cv_is_ok(&st)) {
            pt_free(out);
            return st;
        }
    }
    for (int round = 0; round < 100000; round++) {
        cv_status st;
        hift_model *m = hift_load(cfg, out, &st);
        if (m) {
            hift_free(m);
            return cv_ok();
        }
        char name[256];
        int64_t shape[PT_MAX_DIMS];
        int nd;
        if (sscanf(st.message, "hift.pt: missing tensor %255s", name) == 1) {
            /* add it with a placeholder shape; the next round says the real one */
            st = add_placeholder(out, name, rng);
        } else if (sscanf(st.message, "hift.pt: %255s has shape", name) == 1 &&
                   (nd = parse_shape(st.message, "config wants [", shape)) >= 0) {
            pt_tensor *t = find(out, name);
            if (!t) break;
            t->ndim = nd;
            memcpy(t->shape, shape, sizeof(int64_t) * (size_t)nd);
            st = fill(t, rng);
        } else {
            pt_free(out);
            return st; /* a real error (not a schema question) */
        }
        if (!cv_is_ok(&st)) {
            pt_free(out);
            return st;
        }
    }
    pt_free(out);
    return cv_error(CV_INTERNAL, "hift weights: loader did not converge");
}

hift_model *hift_new_random(const hift_config *cfg, uint64_t seed, cv_status *st)
{
    pt_dict *d = malloc(sizeof *d);
    if (!d) {
        *st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    rw_rng rng = rw_rng_seed(seed);
    *st = hift_random_state_dict(cfg, &rng, d);
    if (!cv_is_ok(st)) {
        free(d);
        return NULL;
    }
    return hift_load_owned(cfg, d, st);
}
