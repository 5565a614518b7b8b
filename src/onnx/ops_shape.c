/* Shape and data-movement operators: Shape, Reshape, Unsqueeze, Squeeze,
 * Concat, Gather, Slice, Expand, Transpose, ConstantOfShape, Constant,
 * Flatten, Range, Tile, Split. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "onnx/onnx_internal.h"

/* Reads a 1-D (or scalar) integer tensor into v (at most OX_MAX_DIMS). */
static bool read_ints(const ox_tensor *t, int64_t *v, int *n)
{
    if (!t || t->dtype == OX_FLOAT || t->dtype == OX_BOOL || t->ndim > 1 ||
        t->count > OX_MAX_DIMS)
        return false;
    for (size_t i = 0; i < t->count; i++) v[i] = ox_get_i64(t, i);
    *n = (int)t->count;
    return true;
}

static ox_tensor *reshaped_copy(const ox_tensor *x, int nd, const int64_t *shape)
{
    ox_tensor *y = ox_tensor_new(x->dtype, nd, shape);
    if (y) memcpy(y->data, x->data, x->count * ox_dtype_size(x->dtype));
    return y;
}

static cv_status op_shape(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const int r = in[0]->ndim;
    int64_t s = ox_attr_int(n, "start", 0), e = ox_attr_int(n, "end", r);
    if (s < 0) s += r;
    if (e < 0) e += r;
    if (s < 0) s = 0;
    if (e > r) e = r;
    int64_t len = e > s ? e - s : 0;
    ox_tensor *y = ox_tensor_new(OX_INT64, 1, &len);
    if (!y) return ox_oom(n);
    for (int64_t i = 0; i < len; i++) ox_i64(y)[i] = in[0]->shape[s + i];
    out[0] = y;
    return cv_ok();
}

static cv_status op_reshape(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    int64_t shape[OX_MAX_DIMS];
    int nd;
    if (!read_ints(in[1], shape, &nd)) return ox_err(n, "bad target shape");
    const bool allowzero = ox_attr_int(n, "allowzero", 0) != 0;
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < nd; i++) {
        if (shape[i] == 0 && !allowzero) {
            if (i >= in[0]->ndim) return ox_err(n, "0 refers to a missing dimension");
            shape[i] = in[0]->shape[i];
        }
        if (shape[i] == -1) {
            if (infer >= 0) return ox_err(n, "more than one -1");
            infer = i;
        } else if (shape[i] < 0) {
            return ox_err(n, "negative extent");
        } else {
            if (shape[i] && known > INT64_MAX / shape[i]) return ox_err(n, "target shape too large");
            known *= shape[i];
        }
    }
    if (infer >= 0) {
        if (known == 0 || in[0]->count % (size_t)known) return ox_err(n, "cannot infer -1");
        shape[infer] = (int64_t)in[0]->count / known;
    } else if ((size_t)known != in[0]->count) {
        return ox_err(n, "element count changes (%zu -> %lld)", in[0]->count, (long long)known);
    }
    out[0] = reshaped_copy(in[0], nd, shape);
    return out[0] ? cv_ok() : ox_oom(n);
}

/* axes from the second input (opset >= 13) or the attribute */
static bool get_axes(const ox_node *n, const ox_tensor *const *in, int64_t *axes, int *na)
{
    if (n->n_in > 1 && in[1]) return read_ints(in[1], axes, na);
    size_t len;
    const int64_t *a = ox_attr_ints(n, "axes", &len);
    if (len > OX_MAX_DIMS) return false;
    for (size_t i = 0; i < len; i++) axes[i] = a[i];
    *na = (int)len;
    return true;
}

static cv_status op_unsqueeze(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    int64_t axes[OX_MAX_DIMS];
    int na;
    const ox_tensor *x = in[0];
    if (!get_axes(n, in, axes, &na) || na == 0) return ox_err(n, "bad axes");
    const int r = x->ndim + na;
    if (r > OX_MAX_DIMS) return ox_err(n, "too many dimensions");
    bool ins[OX_MAX_DIMS] = {0};
    for (int i = 0; i < na; i++) {
        int a;
        if (!ox_axis(axes[i], r, &a) || ins[a]) return ox_err(n, "bad axes");
        ins[a] = true;
    }
    int64_t shape[OX_MAX_DIMS];
    for (int i = 0, k = 0; i < r; i++) shape[i] = ins[i] ? 1 : x->shape[k++];
    out[0] = reshaped_copy(x, r, shape);
    return out[0] ? cv_ok() : ox_oom(n);
}

static cv_status op_squeeze(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    int64_t axes[OX_MAX_DIMS];
    int na;
    const ox_tensor *x = in[0];
    if (!get_axes(n, in, axes, &na)) return ox_err(n, "bad axes");
    bool drop[OX_MAX_DIMS] = {0};
    if (na == 0)
        for (int i = 0; i < x->ndim; i++) drop[i] = x->shape[i] == 1;
    for (int i = 0; i < na; i++) {
        int a;
        if (!ox_axis(axes[i], x->ndim, &a) || x->shape[a] != 1)
            return ox_err(n, "axis is not of extent 1");
        drop[a] = true;
    }
    int64_t shape[OX_MAX_DIMS];
    int r = 0;
    for (int i = 0; i < x->ndim; i++)
        if (!drop[i]) shape[r++] = x->shape[i];
    out[0] = reshaped_copy(x, r, shape);
    return out[0] ? cv_ok() : ox_oom(n);
}

static cv_status op_concat(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *f = in[0];
    int axis;
    if (!f || !ox_axis(ox_attr_int(n, "axis", 0), f->ndim, &axis)) return ox_err(n, "bad axis");
    int64_t shape[OX_MAX_DIMS];
    memcpy(shape, f->shape, sizeof shape);
    shape[axis] = 0;
    for (int k = 0; k < n->n_in; k++) {
        const ox_tensor *t = in[k];
        if (!t || t->ndim != f->ndim || t->dtype != f->dtype) return ox_err(n, "inputs disagree");
        for (int d = 0; d < f->ndim; d++)
            if (d != axis && t->shape[d] != f->shape[d]) return ox_err(n, "shapes disagree");
        shape[axis] += t->shape[axis];
    }
    ox_tensor *y = ox_tensor_new(f->dtype, f->ndim, shape);
    if (!y) return ox_oom(n);
    size_t outer = 1, inner = ox_dtype_size(f->dtype);
    for (int d = 0; d < axis; d++) outer *= (size_t)shape[d];
    for (int d = axis + 1; d < f->ndim; d++) inner *= (size_t)shape[d];
    char *dst = y->data;
    const size_t row = (size_t)shape[axis] * inner;
    size_t off = 0;
    for (int k = 0; k < n->n_in; k++) {
        const size_t chunk = (size_t)in[k]->shape[axis] * inner;
        for (size_t o = 0; o < outer; o++)
            memcpy(dst + o * row + off, (const char *)in[k]->data + o * chunk, chunk);
        off += chunk;
    }
    out[0] = y;
    return cv_ok();
}

static cv_status op_gather(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0], *idx = in[1];
    int axis;
    if (!ox_axis(ox_attr_int(n, "axis", 0), x->ndim, &axis)) return ox_err(n, "bad axis");
    if (idx->dtype != OX_INT64 && idx->dtype != OX_INT32) return ox_err(n, "indices not integer");
    const int r = x->ndim - 1 + idx->ndim;
    if (r > OX_MAX_DIMS) return ox_err(n, "too many dimensions");
    int64_t shape[OX_MAX_DIMS];
    int k = 0;
    for (int d = 0; d < axis; d++) shape[k++] = x->shape[d];
    for (int d = 0; d < idx->ndim; d++) shape[k++] = idx->shape[d];
    for (int d = axis + 1; d < x->ndim; d++) shape[k++] = x->shape[d];
    ox_tensor *y = ox_tensor_new(x->dtype, r, shape);
    if (!y) return ox_oom(n);
    size_t outer = 1, inner = ox_dtype_size(x->dtype);
    for (int d = 0; d < axis; d++) outer *= (size_t)x->shape[d];
    for (int d = axis + 1; d < x->ndim; d++) inner *= (size_t)x->shape[d];
    const int64_t ext = x->shape[axis];
    for (size_t i = 0; i < idx->count; i++) {
        int64_t j = ox_get_i64(idx, i);
        if (j < 0) j += ext;
        if (j < 0 || j >= ext) {
            ox_tensor_free(y);
            return ox_err(n, "index out of range");
        }
        for (size_t o = 0; o < outer; o++)
            memcpy((char *)y->data + (o * idx->count + i) * inner,
                   (const char *)x->data + (o * (size_t)ext + (size_t)j) * inner, inner);
    }
    out[0] = y;
    return cv_ok();
}

static cv_status op_slice(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0];
    int64_t st[OX_MAX_DIMS], en[OX_MAX_DIMS], ax[OX_MAX_DIMS], sp[OX_MAX_DIMS];
    int ns, ne, na, np;
    if (!read_ints(in[1], st, &ns) || !read_ints(in[2], en, &ne) || ns != ne)
        return ox_err(n, "bad starts/ends");
    if (n->n_in > 3 && in[3]) {
        if (!read_ints(in[3], ax, &na) || na != ns) return ox_err(n, "bad axes");
    } else {
        for (int i = 0; i < ns; i++) ax[i] = i;
    }
    if (n->n_in > 4 && in[4]) {
        if (!read_ints(in[4], sp, &np) || np != ns) return ox_err(n, "bad steps");
    } else {
        for (int i = 0; i < ns; i++) sp[i] = 1;
    }
    int64_t start[OX_MAX_DIMS], step[OX_MAX_DIMS], shape[OX_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) {
        start[d] = 0;
        step[d] = 1;
        shape[d] = x->shape[d];
    }
    for (int i = 0; i < ns; i++) {
        int a;
        if (!ox_axis(ax[i], x->ndim, &a) || sp[i] == 0 || sp[i] == INT64_MIN)
            return ox_err(n, "bad axis or step");
        const int64_t dim = x->shape[a];
        int64_t s = st[i], e = en[i];
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        if (sp[i] > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
            shape[a] = e > s ? (e - s - 1) / sp[i] + 1 : 0;
        } else {
            s = s < 0 ? -1 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
            shape[a] = s > e ? (s - e - 1) / -sp[i] + 1 : 0;
        }
        start[a] = s;
        step[a] = sp[i];
    }
    ox_tensor *y = ox_tensor_new(x->dtype, x->ndim, shape);
    if (!y) return ox_oom(n);
    const size_t item = ox_dtype_size(x->dtype);
    int64_t xs[OX_MAX_DIMS], idx[OX_MAX_DIMS] = {0};
    ox_strides(x, xs);
    for (size_t o = 0; o < y->count; o++) {
        int64_t src = 0;
        for (int d = 0; d < x->ndim; d++) src += (start[d] + idx[d] * step[d]) * xs[d];
        memcpy((char *)y->data + o * item, (const char *)x->data + (size_t)src * item, item);
        ox_next_index(idx, shape, x->ndim);
    }
    out[0] = y;
    return cv_ok();
}

static cv_status op_expand(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0];
    int64_t want[OX_MAX_DIMS], shape[OX_MAX_DIMS], sx[OX_MAX_DIMS];
    int nw, nd;
    if (!read_ints(in[1], want, &nw)) return ox_err(n, "bad shape");
    if (!ox_broadcast_shape(x->ndim, x->shape, nw, want, &nd, shape))
        return ox_err(n, "shape does not broadcast");
    ox_tensor *y = ox_tensor_new(x->dtype, nd, shape);
    if (!y) return ox_oom(n);
    ox_broadcast_strides(x, nd, shape, sx);
    const size_t item = ox_dtype_size(x->dtype);
    int64_t idx[OX_MAX_DIMS] = {0};
    for (size_t o = 0; o < y->count; o++) {
        int64_t src = 0;
        for (int d = 0; d < nd; d++) src += idx[d] * sx[d];
        memcpy((char *)y->data + o * item, (const char *)x->data + (size_t)src * item, item);
        for (int d = nd - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) break;
            idx[d] = 0;
        }
    }
    out[0] = y;
    return cv_ok();
}

static cv_status op_transpose(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0];
    size_t np;
    const int64_t *pa = ox_attr_ints(n, "perm", &np);
    int perm[OX_MAX_DIMS];
    bool seen[OX_MAX_DIMS] = {0};
    if (np && (int)np != x->ndim) return ox_err(n, "perm has the wrong length");
    for (int d = 0; d < x->ndim; d++) {
        perm[d] = np ? (int)pa[d] : x->ndim - 1 - d;
        if (perm[d] < 0 || perm[d] >= x->ndim || seen[perm[d]]) return ox_err(n, "bad perm");
        seen[perm[d]] = true;
    }
    int64_t shape[OX_MAX_DIMS], xs[OX_MAX_DIMS], ps[OX_MAX_DIMS], idx[OX_MAX_DIMS] = {0};
    ox_strides(x, xs);
    for (int d = 0; d < x->ndim; d++) {
        shape[d] = x->shape[perm[d]];
        ps[d] = xs[perm[d]];
    }
    ox_tensor *y = ox_tensor_new(x->dtype, x->ndim, shape);
    if (!y) return ox_oom(n);
    const size_t item = ox_dtype_size(x->dtype);
    const int last = x->ndim - 1;
    if (item == 4 && x->ndim > 0) { /* the common float case, inner loop strided */
        const uint32_t *src = x->data;
        uint32_t *dst = y->data;
        size_t o = 0;
        while (o < y->count) {
            int64_t base = 0;
            for (int d = 0; d < last; d++) base += idx[d] * ps[d];
            for (int64_t j = 0; j < shape[last]; j++) dst[o++] = src[base + j * ps[last]];
            int d = last - 1;
            for (; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
            if (d < 0) break;
        }
    } else {
        for (size_t o = 0; o < y->count; o++) {
            int64_t src = 0;
            for (int d = 0; d < x->ndim; d++) src += idx[d] * ps[d];
            memcpy((char *)y->data + o * item, (const char *)x->data + (size_t)src * item, item);
            for (int d = last; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
    }
    out[0] = y;
    return cv_ok();
}

static cv_status op_constant_of_shape(const ox_node *n, const ox_tensor *const *in,
                                      ox_tensor **out)
{
    int64_t shape[OX_MAX_DIMS];
    int nd;
    if (!read_ints(in[0], shape, &nd)) return ox_err(n, "bad shape");
    ox_tensor *v = NULL;
    const Onnx__AttributeProto *a = ox_attr(n, "value");
    if (a && a->t) {
        cv_status st = ox_tensor_from_proto(a->t, &v);
        if (!cv_is_ok(&st)) return st;
        if (v->count != 1) {
            ox_tensor_free(v);
            return ox_err(n, "value is not a single element");
        }
    }
    ox_tensor *y = ox_tensor_new(v ? v->dtype : OX_FLOAT, nd, shape);
    if (!y) {
        ox_tensor_free(v);
        return ox_oom(n);
    }
    if (v) {
        const size_t item = ox_dtype_size(v->dtype);
        for (size_t i = 0; i < y->count; i++) memcpy((char *)y->data + i * item, v->data, item);
    }
    ox_tensor_free(v);
    out[0] = y;
    return cv_ok();
}

static cv_status op_flatten(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0];
    int64_t a = ox_attr_int(n, "axis", 1);
    if (a < 0) a += x->ndim;
    if (a < 0 || a > x->ndim) return ox_err(n, "bad axis");
    int64_t shape[2] = {1, 1};
    for (int d = 0; d < x->ndim; d++) shape[d < a ? 0 : 1] *= x->shape[d];
    out[0] = reshaped_copy(x, 2, shape);
    return out[0] ? cv_ok() : ox_oom(n);
}

/* Range(start, limit, delta): ceil((limit - start) / delta) values */
static cv_status op_range(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    for (int k = 0; k < 3; k++)
        if (in[k]->count != 1 || in[k]->dtype != in[0]->dtype || in[k]->dtype == OX_BOOL)
            return ox_err(n, "inputs must be scalars of one numeric type");
    const double s = ox_get_f64(in[0], 0), l = ox_get_f64(in[1], 0), d = ox_get_f64(in[2], 0);
    if (d == 0 || !isfinite(s) || !isfinite(l) || !isfinite(d)) return ox_err(n, "bad range");
    double cnt = ceil((l - s) / d);
    if (cnt < 0) cnt = 0;
    if (cnt > 1e9) return ox_err(n, "range too long");
    int64_t len = (int64_t)cnt;
    ox_tensor *y = ox_tensor_new(in[0]->dtype, 1, &len);
    if (!y) return ox_oom(n);
    for (int64_t i = 0; i < len; i++) {
        if (y->dtype == OX_FLOAT) ox_f(y)[i] = (float)(s + (double)i * d);
        else ox_set_f64(y, (size_t)i, s + (double)i * d);
    }
    out[0] = y;
    return cv_ok();
}

static cv_status op_tile(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0];
    int64_t rep[OX_MAX_DIMS];
    int nr;
    if (!read_ints(in[1], rep, &nr) || nr != x->ndim) return ox_err(n, "bad repeats");
    int64_t shape[OX_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) {
        if (rep[d] < 0 || (x->shape[d] && rep[d] > INT64_MAX / x->shape[d]))
            return ox_err(n, "bad repeat");
        shape[d] = x->shape[d] * rep[d];
    }
    ox_tensor *y = ox_tensor_new(x->dtype, x->ndim, shape);
    if (!y) return ox_oom(n);
    const size_t item = ox_dtype_size(x->dtype);
    int64_t xs[OX_MAX_DIMS], idx[OX_MAX_DIMS] = {0};
    ox_strides(x, xs);
    for (size_t o = 0; o < y->count; o++) {
        int64_t src = 0;
        for (int d = 0; d < x->ndim; d++) src += (idx[d] % x->shape[d]) * xs[d];
        memcpy((char *)y->data + o * item, (const char *)x->data + (size_t)src * item, item);
        ox_next_index(idx, shape, x->ndim);
    }
    out[0] = y;
    return cv_ok();
}

/* Split(x, split?) along axis into the node's outputs (equal parts, the
 * last smaller, when no sizes are given) */
static cv_status op_split(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0];
    int a;
    if (!ox_axis(ox_attr_int(n, "axis", 0), x->ndim, &a)) return ox_err(n, "bad axis");
    const int parts = n->n_out;
    int64_t sizes[64];
    if (parts > 64) return ox_err(n, "too many outputs");
    const ox_tensor *sp = n->n_in > 1 ? in[1] : NULL;
    size_t na;
    const int64_t *attr = ox_attr_ints(n, "split", &na);
    int64_t total = 0;
    for (int k = 0; k < parts; k++) {
        if (sp) {
            if (sp->count != (size_t)parts || sp->dtype == OX_FLOAT) return ox_err(n, "bad split");
            sizes[k] = ox_get_i64(sp, (size_t)k);
        } else if (na) {
            if (na != (size_t)parts) return ox_err(n, "bad split");
            sizes[k] = attr[k];
        } else {
            const int64_t chunk = (x->shape[a] + parts - 1) / parts;
            sizes[k] = x->shape[a] - total < chunk ? x->shape[a] - total : chunk;
        }
        if (sizes[k] < 0 || sizes[k] > x->shape[a]) return ox_err(n, "bad split");
        total += sizes[k];
    }
    if (total != x->shape[a]) return ox_err(n, "split sizes do not add up");
    size_t outer = 1, inner = ox_dtype_size(x->dtype);
    for (int d = 0; d < a; d++) outer *= (size_t)x->shape[d];
    for (int d = a + 1; d < x->ndim; d++) inner *= (size_t)x->shape[d];
    int64_t off = 0;
    for (int k = 0; k < parts; k++) {
        int64_t shape[OX_MAX_DIMS];
        memcpy(shape, x->shape, sizeof shape);
        shape[a] = sizes[k];
        out[k] = ox_tensor_new(x->dtype, x->ndim, shape);
        if (!out[k]) {
            for (int j = 0; j < k; j++) {
                ox_tensor_free(out[j]);
                out[j] = NULL;
            }
            return ox_oom(n);
        }
        const size_t chunk = (size_t)sizes[k] * inner, row = (size_t)x->shape[a] * inner;
        for (size_t o = 0; o < outer; o++)
            if (chunk)
                memcpy((char *)out[k]->data + o * chunk, (const char *)x->data + o * row + (size_t)off * inner,
                       chunk);
        off += sizes[k];
    }
    return cv_ok();
}

/* Constants are evaluated at load time (onnx_model.c); never run. */
static cv_status op_constant(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    (void)in;
    (void)out;
    return ox_err(n, "Constant evaluated at run time");
}

const ox_op ox_ops_shape[] = {
    {"Shape", op_shape, 1, 1},
    {"Reshape", op_reshape, 2, 2},
    {"Unsqueeze", op_unsqueeze, 1, 2},
    {"Squeeze", op_squeeze, 1, 2},
    {"Concat", op_concat, 1, 64},
    {"Gather", op_gather, 2, 2},
    {"Slice", op_slice, 3, 5},
    {"Expand", op_expand, 2, 2},
    {"Transpose", op_transpose, 1, 1},
    {"ConstantOfShape", op_constant_of_shape, 1, 1},
    {"Flatten", op_flatten, 1, 1},
    {"Range", op_range, 3, 3},
    {"Tile", op_tile, 2, 2},
    {"Split", op_split, 1, 2},
    {"Constant", op_constant, 0, 0},
    {NULL, NULL, 0, 0},
};
