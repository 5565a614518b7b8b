/* Reductions (ReduceMean/Sum/Prod/L2/Max), ArgMax and Softmax. A reduction
 * is computed on an [outer][ext][inner] view per reduced axis, reducing
 * axes one at a time from the last (sum-like reductions compose). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/ops.h"
#include "onnx/onnx_internal.h"

typedef enum { R_SUM, R_MEAN, R_PROD, R_L2, R_MAX } reduce_kind;

static cv_status reduce(const ox_node *n, const ox_tensor *const *in, ox_tensor **out,
                        reduce_kind kind)
{
    const ox_tensor *x = in[0];
    if (x->dtype != OX_FLOAT && kind != R_PROD && kind != R_SUM && kind != R_MAX)
        return ox_err(n, "unsupported element type");
    bool red[OX_MAX_DIMS] = {0};
    int nred = 0;
    const ox_tensor *axes_t = n->n_in > 1 ? in[1] : NULL;
    size_t na = 0;
    const int64_t *aa = NULL;
    int64_t ab[OX_MAX_DIMS];
    if (axes_t) {
        if (axes_t->ndim > 1 || axes_t->count > OX_MAX_DIMS || axes_t->dtype == OX_FLOAT)
            return ox_err(n, "bad axes");
        for (size_t i = 0; i < axes_t->count; i++) ab[i] = ox_get_i64(axes_t, i);
        aa = ab;
        na = axes_t->count;
    } else {
        aa = ox_attr_ints(n, "axes", &na);
    }
    if (na == 0 && ox_attr_int(n, "noop_with_empty_axes", 0)) {
        out[0] = ox_tensor_clone(x);
        return out[0] ? cv_ok() : ox_oom(n);
    }
    for (size_t i = 0; i < na; i++) {
        int a;
        if (!ox_axis(aa[i], x->ndim, &a)) return ox_err(n, "bad axis");
        if (!red[a]) nred++;
        red[a] = true;
    }
    if (na == 0)
        for (int d = 0; d < x->ndim; d++) red[d] = true;
    const bool keep = ox_attr_int(n, "keepdims", 1) != 0;
    /* accumulate in double over a copy, axis by axis */
    size_t cnt = x->count;
    double *acc = malloc(sizeof(double) * (cnt ? cnt : 1));
    if (!acc) return ox_oom(n);
    if (x->dtype == OX_FLOAT)
        for (size_t i = 0; i < cnt; i++) {
            double v = ox_f(x)[i];
            acc[i] = kind == R_L2 ? v * v : v;
        }
    else
        for (size_t i = 0; i < cnt; i++) {
            double v = ox_get_f64(x, i);
            acc[i] = kind == R_L2 ? v * v : v;
        }
    int64_t shape[OX_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    double n_reduced = 1;
    for (int a = x->ndim - 1; a >= 0; a--) {
        if (!red[a]) continue;
        size_t outer = 1, inner = 1, ext = (size_t)shape[a];
        for (int d = 0; d < a; d++) outer *= (size_t)shape[d];
        for (int d = a + 1; d < x->ndim; d++) inner *= (size_t)shape[d];
        for (size_t o = 0; o < outer; o++)
            for (size_t i = 0; i < inner; i++) {
                double r = kind == R_PROD ? 1 : kind == R_MAX ? -INFINITY : 0;
                for (size_t e = 0; e < ext; e++) {
                    double v = acc[(o * ext + e) * inner + i];
                    if (kind == R_PROD) r *= v;
                    else if (kind == R_MAX) r = v > r ? v : r;
                    else r += v;
                }
                acc[o * inner + i] = r;
            }
        n_reduced *= (double)ext;
        shape[a] = 1;
    }
    int64_t oshape[OX_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < x->ndim; d++)
        if (keep || !red[d]) oshape[nd++] = shape[d];
    ox_tensor *y = ox_tensor_new(x->dtype, nd, oshape);
    if (!y) {
        free(acc);
        return ox_oom(n);
    }
    for (size_t i = 0; i < y->count; i++) {
        double v = acc[i];
        if (kind == R_MEAN) v /= n_reduced;
        if (kind == R_L2) v = sqrt(v);
        ox_set_f64(y, i, v);
    }
    free(acc);
    out[0] = y;
    return cv_ok();
}

#define REDUCE(fn, k)                                                                      \
    static cv_status fn(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)     \
    {                                                                                      \
        return reduce(n, in, out, k);                                                      \
    }
REDUCE(op_reduce_sum, R_SUM)
REDUCE(op_reduce_mean, R_MEAN)
REDUCE(op_reduce_prod, R_PROD)
REDUCE(op_reduce_l2, R_L2)
REDUCE(op_reduce_max, R_MAX)

static cv_status op_argmax(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0];
    int a;
    if (!ox_axis(ox_attr_int(n, "axis", 0), x->ndim, &a)) return ox_err(n, "bad axis");
    const bool keep = ox_attr_int(n, "keepdims", 1) != 0;
    const bool last = ox_attr_int(n, "select_last_index", 0) != 0;
    int64_t shape[OX_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < x->ndim; d++)
        if (d != a) shape[nd++] = x->shape[d];
        else if (keep) shape[nd++] = 1;
    if (x->shape[a] == 0) return ox_err(n, "empty axis");
    ox_tensor *y = ox_tensor_new(OX_INT64, nd, shape);
    if (!y) return ox_oom(n);
    size_t outer = 1, inner = 1, ext = (size_t)x->shape[a];
    for (int d = 0; d < a; d++) outer *= (size_t)x->shape[d];
    for (int d = a + 1; d < x->ndim; d++) inner *= (size_t)x->shape[d];
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            size_t best = 0;
            double bv = ox_get_f64(x, o * ext * inner + i);
            for (size_t e = 1; e < ext; e++) {
                double v = ox_get_f64(x, (o * ext + e) * inner + i);
                if (v > bv || (last && v == bv)) {
                    bv = v;
                    best = e;
                }
            }
            ox_i64(y)[o * inner + i] = (int64_t)best;
        }
    out[0] = y;
    return cv_ok();
}

static cv_status op_softmax(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0];
    int a;
    if (x->dtype != OX_FLOAT) return ox_err(n, "not float");
    if (!ox_axis(ox_attr_int(n, "axis", -1), x->ndim, &a)) return ox_err(n, "bad axis");
    ox_tensor *y = ox_tensor_clone(x);
    if (!y) return ox_oom(n);
    size_t outer = 1, inner = 1, ext = (size_t)x->shape[a];
    for (int d = 0; d < a; d++) outer *= (size_t)x->shape[d];
    for (int d = a + 1; d < x->ndim; d++) inner *= (size_t)x->shape[d];
    float *p = ox_f(y);
    if (inner == 1 && outer <= INT32_MAX && ext <= INT32_MAX) { /* last axis: the tensor core's */
        nn_softmax_rows(p, (int)outer, (int)ext);
        out[0] = y;
        return cv_ok();
    }
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            float *b = p + o * ext * inner + i;
            float mx = -INFINITY;
            for (size_t e = 0; e < ext; e++) mx = b[e * inner] > mx ? b[e * inner] : mx;
            double s = 0;
            for (size_t e = 0; e < ext; e++) {
                b[e * inner] = expf(b[e * inner] - mx);
                s += b[e * inner];
            }
            const float inv = (float)(1.0 / s);
            for (size_t e = 0; e < ext; e++) b[e * inner] *= inv;
        }
    out[0] = y;
    return cv_ok();
}

const ox_op ox_ops_reduce[] = {
    {"ReduceSum", op_reduce_sum, 1, 2},
    {"ReduceMean", op_reduce_mean, 1, 2},
    {"ReduceProd", op_reduce_prod, 1, 2},
    {"ReduceL2", op_reduce_l2, 1, 2},
    {"ReduceMax", op_reduce_max, 1, 2},
    {"ArgMax", op_argmax, 1, 1},
    {"Softmax", op_softmax, 1, 1},
    {NULL, NULL, 0, 0},
};
