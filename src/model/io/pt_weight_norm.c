/* Folding weight normalisation (torch.nn.utils.weight_norm and its
 * parametrizations successor) into plain weights at load time, so the
 * engine only ever sees X.weight = g * v / ||v||. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model/io/pt_load.h"

static const struct {
    const char *g, *v;
} forms[] = {
    {".weight_g", ".weight_v"},
    {".parametrizations.weight.original0", ".parametrizations.weight.original1"},
};

static bool ends_with(const char *s, const char *tail, size_t *stem)
{
    size_t n = strlen(s), t = strlen(tail);
    if (n < t || strcmp(s + n - t, tail) != 0) return false;
    *stem = n - t;
    return true;
}

static pt_tensor *find_mut(pt_dict *d, const char *name)
{
    return (pt_tensor *)pt_find(d, name);
}

/* The dim g keeps: the one dim where g is not 1 (it must match v there);
 * -1 when g is a single element, i.e. the norm is over all of v (for a
 * kept dim of size 1 that is the same thing). Returns -2 when g does not
 * fit v. */
static int kept_dim(const pt_tensor *g, const pt_tensor *v)
{
    if (g->ndim == 0) return -1;
    if (g->ndim != v->ndim) /* g stored flat as [out] for dim 0 */
        return g->ndim == 1 && v->ndim > 1 && g->shape[0] == v->shape[0] ? 0 : -2;
    int dim = -1;
    for (int k = 0; k < g->ndim; k++) {
        if (g->shape[k] == 1) continue;
        if (dim != -1 || g->shape[k] != v->shape[k]) return -2;
        dim = k;
    }
    return dim;
}

static void fold(const pt_tensor *g, pt_tensor *v, int dim)
{
    int64_t n = pt_numel(v);
    if (dim < 0) {
        double ss = 0;
        for (int64_t i = 0; i < n; i++) ss += (double)v->data[i] * v->data[i];
        float scale = (float)(g->data[0] / sqrt(ss));
        for (int64_t i = 0; i < n; i++) v->data[i] *= scale;
        return;
    }
    int64_t outer = 1, inner = 1, d = v->shape[dim];
    for (int k = 0; k < dim; k++) outer *= v->shape[k];
    for (int k = dim + 1; k < v->ndim; k++) inner *= v->shape[k];
    double *ss = calloc((size_t)(d ? d : 1), sizeof *ss);
    if (!ss) return;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < d; j++)
            for (int64_t i = 0; i < inner; i++) {
                double x = v->data[(o * d + j) * inner + i];
                ss[j] += x * x;
            }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < d; j++) {
            float scale = (float)(g->data[j] / sqrt(ss[j]));
            for (int64_t i = 0; i < inner; i++) v->data[(o * d + j) * inner + i] *= scale;
        }
    free(ss);
}

cv_status pt_fold_weight_norm(pt_dict *d)
{
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        for (size_t k = 0; k < d->count; k++) {
            size_t stem;
            if (!ends_with(d->items[k].name, forms[f].g, &stem)) continue;
            pt_tensor *g = &d->items[k];
            size_t vl = stem + strlen(forms[f].v) + 1;
            char *vname = malloc(vl), *wname = malloc(stem + sizeof ".weight");
            if (!vname || !wname) {
                free(vname);
                free(wname);
                return cv_error(CV_RESOURCE_EXHAUSTED, "weight norm: out of memory");
            }
            memcpy(vname, g->name, stem);
            strcpy(vname + stem, forms[f].v);
            memcpy(wname, g->name, stem);
            strcpy(wname + stem, ".weight");
            pt_tensor *v = find_mut(d, vname);
            cv_status st = cv_ok();
            int dim = -2;
            if (!v)
                st = cv_error(CV_INVALID_ARGUMENT, "weight norm: '%s' has no matching '%s'", g->name, vname);
            else if (find_mut(d, wname))
                st = cv_error(CV_INVALID_ARGUMENT, "weight norm: both '%s' and '%s' exist", g->name, wname);
            else if (g->idata || v->idata || (dim = kept_dim(g, v)) == -2)
                st = cv_error(CV_INVALID_ARGUMENT, "weight norm: shapes of '%s' and '%s' do not fit", g->name,
                              vname);
            free(vname);
            if (!cv_is_ok(&st)) {
                free(wname);
                return st;
            }
            fold(g, v, dim);
            /* v becomes the weight, in g's place; g goes away. */
            free(v->name);
            v->name = wname;
            pt_tensor w = *v;
            size_t vi = (size_t)(v - d->items);
            free(g->name);
            free(g->data);
            free(g->idata);
            d->items[k] = w;
            memmove(&d->items[vi], &d->items[vi + 1], (d->count - vi - 1) * sizeof *d->items);
            d->count--;
            if (vi < k) k--; /* the slot k now holds the next unexamined item */
        }
    }
    return cv_ok();
}
