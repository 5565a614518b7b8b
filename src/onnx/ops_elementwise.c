/* Elementwise operators with numpy broadcasting: arithmetic, Max/Min (two
 * inputs), comparisons,
 * logic, Where, unary maths, Cast, Clip, Identity. Float tensors take a fast
 * path; integer and bool tensors (shape arithmetic, masks) go through
 * double, which is exact for the magnitudes shapes have. */
#include <math.h>
#include <string.h>

#include "onnx/onnx_internal.h"

typedef enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_EQ, B_LT, B_GT, B_GE, B_LE, B_AND, B_OR,
               B_XOR } binop;

static double apply_d(binop op, double a, double b, bool integer)
{
    switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV:
        if (integer) return b == 0 ? 0 : trunc(a / b);
        return a / b;
    case B_POW: return pow(a, b);
    case B_MAX: return a > b || isnan(a) ? a : b;
    case B_MIN: return a < b || isnan(a) ? a : b;
    case B_EQ: return a == b;
    case B_LT: return a < b;
    case B_GT: return a > b;
    case B_GE: return a >= b;
    case B_LE: return a <= b;
    case B_AND: return (a != 0) && (b != 0);
    case B_OR: return (a != 0) || (b != 0);
    case B_XOR: return (a != 0) != (b != 0);
    }
    return 0;
}

static inline float apply_f(binop op, float a, float b)
{
    switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_POW: return b == 2.0f ? a * a : (b == 0.5f ? sqrtf(a) : powf(a, b));
    case B_MAX: return a > b || isnan(a) ? a : b;
    case B_MIN: return a < b || isnan(a) ? a : b;
    default: return 0;
    }
}

/* Visits every output element; calls body(o, ia, ib) with flat offsets. */
#define BROADCAST_LOOP(ndim, shape, sa, sb, BODY)                                          \
    do {                                                                                   \
        int64_t idx_[OX_MAX_DIMS] = {0};                                                   \
        size_t ia = 0, ib = 0, o = 0;                                                      \
        const int last_ = (ndim) - 1;                                                      \
        const int64_t inner_ = (ndim) ? (shape)[last_] : 1;                                \
        const int64_t ia_s = (ndim) ? (sa)[last_] : 0, ib_s = (ndim) ? (sb)[last_] : 0;    \
        for (;;) {                                                                         \
            size_t ia0 = ia, ib0 = ib;                                                     \
            for (int64_t j_ = 0; j_ < inner_; j_++, o++) {                                 \
                BODY;                                                                      \
                ia += ia_s;                                                                \
                ib += ib_s;                                                                \
            }                                                                              \
            ia = ia0;                                                                      \
            ib = ib0;                                                                      \
            int d_ = last_ - 1;                                                            \
            for (; d_ >= 0; d_--) {                                                        \
                ia += (sa)[d_];                                                            \
                ib += (sb)[d_];                                                            \
                if (++idx_[d_] < (shape)[d_]) break;                                       \
                ia -= (sa)[d_] * (shape)[d_];                                              \
                ib -= (sb)[d_] * (shape)[d_];                                              \
                idx_[d_] = 0;                                                              \
            }                                                                              \
            if (d_ < 0) break;                                                             \
        }                                                                                  \
    } while (0)

static cv_status binary(const ox_node *n, const ox_tensor *const *in, ox_tensor **out, binop op)
{
    const ox_tensor *a = in[0], *b = in[1];
    int nd;
    int64_t shape[OX_MAX_DIMS], sa[OX_MAX_DIMS], sb[OX_MAX_DIMS];
    if (!ox_broadcast_shape(a->ndim, a->shape, b->ndim, b->shape, &nd, shape))
        return ox_err(n, "shapes do not broadcast");
    const bool cmp = op >= B_EQ;
    if (op >= B_AND && (a->dtype != OX_BOOL || b->dtype != OX_BOOL))
        return ox_err(n, "logical operator on non-bool tensors");
    if (!cmp && a->dtype != b->dtype && op != B_POW)
        return ox_err(n, "mixed element types %s and %s", ox_dtype_name(a->dtype),
                      ox_dtype_name(b->dtype));
    ox_tensor *y = ox_tensor_new(cmp ? OX_BOOL : a->dtype, nd, shape);
    if (!y) return ox_oom(n);
    ox_broadcast_strides(a, nd, shape, sa);
    ox_broadcast_strides(b, nd, shape, sb);
    if (y->count) {
        if (!cmp && a->dtype == OX_FLOAT && b->dtype == OX_FLOAT) {
            const float *pa = ox_f(a), *pb = ox_f(b);
            float *py = ox_f(y);
            BROADCAST_LOOP(nd, shape, sa, sb, py[o] = apply_f(op, pa[ia], pb[ib]));
        } else {
            const bool integer = a->dtype != OX_FLOAT;
            BROADCAST_LOOP(nd, shape, sa, sb,
                           ox_set_f64(y, o, apply_d(op, ox_get_f64(a, ia), ox_get_f64(b, ib),
                                                    integer)));
        }
    }
    out[0] = y;
    return cv_ok();
}

#define BINARY(fn, op)                                                                     \
    static cv_status fn(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)     \
    {                                                                                      \
        return binary(n, in, out, op);                                                     \
    }
BINARY(op_add, B_ADD)
BINARY(op_sub, B_SUB)
BINARY(op_mul, B_MUL)
BINARY(op_div, B_DIV)
BINARY(op_pow, B_POW)
BINARY(op_max, B_MAX)
BINARY(op_min, B_MIN)
BINARY(op_equal, B_EQ)
BINARY(op_less, B_LT)
BINARY(op_greater, B_GT)
BINARY(op_greater_equal, B_GE)
BINARY(op_less_equal, B_LE)
BINARY(op_and, B_AND)
BINARY(op_or, B_OR)
BINARY(op_xor, B_XOR)

static cv_status op_where(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *c = in[0], *x = in[1], *yv = in[2];
    if (c->dtype != OX_BOOL) return ox_err(n, "condition is not bool");
    if (x->dtype != yv->dtype) return ox_err(n, "branches have different element types");
    int nd1, nd;
    int64_t s1[OX_MAX_DIMS], shape[OX_MAX_DIMS], sc[OX_MAX_DIMS], sx[OX_MAX_DIMS],
        sy[OX_MAX_DIMS];
    if (!ox_broadcast_shape(x->ndim, x->shape, yv->ndim, yv->shape, &nd1, s1) ||
        !ox_broadcast_shape(c->ndim, c->shape, nd1, s1, &nd, shape))
        return ox_err(n, "shapes do not broadcast");
    ox_tensor *y = ox_tensor_new(x->dtype, nd, shape);
    if (!y) return ox_oom(n);
    ox_broadcast_strides(c, nd, shape, sc);
    ox_broadcast_strides(x, nd, shape, sx);
    ox_broadcast_strides(yv, nd, shape, sy);
    const size_t item = ox_dtype_size(x->dtype);
    /* first pass: x where true (c, x strides); second: y where false */
    const uint8_t *pc = ox_b(c);
    char *py = y->data;
    const char *px = x->data, *pyv = yv->data;
    if (y->count) {
        BROADCAST_LOOP(nd, shape, sc, sx,
                       if (pc[ia]) memcpy(py + o * item, px + ib * item, item));
        BROADCAST_LOOP(nd, shape, sc, sy,
                       if (!pc[ia]) memcpy(py + o * item, pyv + ib * item, item));
    }
    out[0] = y;
    return cv_ok();
}

typedef enum { U_RELU, U_SIGMOID, U_TANH, U_NEG, U_SQRT, U_ERF, U_EXP, U_LOG, U_ABS,
               U_RECIP, U_SIN, U_COS, U_FLOOR, U_CEIL, U_ROUND, U_LEAKY, U_NOT } unop;

static cv_status unary(const ox_node *n, const ox_tensor *const *in, ox_tensor **out, unop op)
{
    const ox_tensor *x = in[0];
    if (op == U_NOT ? x->dtype != OX_BOOL : (x->dtype != OX_FLOAT && op != U_NEG && op != U_ABS))
        return ox_err(n, "unsupported element type %s", ox_dtype_name(x->dtype));
    ox_tensor *y = ox_tensor_clone(x);
    if (!y) return ox_oom(n);
    if (x->dtype != OX_FLOAT) {
        for (size_t i = 0; i < y->count; i++) {
            double v = ox_get_f64(y, i);
            ox_set_f64(y, i, op == U_NOT ? !v : op == U_NEG ? -v : fabs(v));
        }
        out[0] = y;
        return cv_ok();
    }
    float *p = ox_f(y);
    const size_t c = y->count;
    switch (op) {
    case U_RELU: for (size_t i = 0; i < c; i++) p[i] = p[i] > 0 ? p[i] : 0; break;
    case U_SIGMOID: for (size_t i = 0; i < c; i++) p[i] = 1.0f / (1.0f + expf(-p[i])); break;
    case U_TANH: for (size_t i = 0; i < c; i++) p[i] = tanhf(p[i]); break;
    case U_NEG: for (size_t i = 0; i < c; i++) p[i] = -p[i]; break;
    case U_SQRT: for (size_t i = 0; i < c; i++) p[i] = sqrtf(p[i]); break;
    case U_ERF: for (size_t i = 0; i < c; i++) p[i] = erff(p[i]); break;
    case U_EXP: for (size_t i = 0; i < c; i++) p[i] = expf(p[i]); break;
    case U_LOG: for (size_t i = 0; i < c; i++) p[i] = logf(p[i]); break;
    case U_ABS: for (size_t i = 0; i < c; i++) p[i] = fabsf(p[i]); break;
    case U_RECIP: for (size_t i = 0; i < c; i++) p[i] = 1.0f / p[i]; break;
    case U_SIN: for (size_t i = 0; i < c; i++) p[i] = sinf(p[i]); break;
    case U_COS: for (size_t i = 0; i < c; i++) p[i] = cosf(p[i]); break;
    case U_FLOOR: for (size_t i = 0; i < c; i++) p[i] = floorf(p[i]); break;
    case U_CEIL: for (size_t i = 0; i < c; i++) p[i] = ceilf(p[i]); break;
    /* ONNX rounds halves to even (as numpy and torch.round): rintf in the
     * default rounding mode, which nothing here changes; roundf would send
     * 0.5 to 1 and -2.5 to -3. */
    case U_ROUND: for (size_t i = 0; i < c; i++) p[i] = rintf(p[i]); break;
    case U_LEAKY: {
        const float a = ox_attr_float(n, "alpha", 0.01f);
        for (size_t i = 0; i < c; i++) p[i] = p[i] >= 0 ? p[i] : a * p[i];
        break;
    }
    case U_NOT: break;
    }
    out[0] = y;
    return cv_ok();
}

#define UNARY(fn, op)                                                                      \
    static cv_status fn(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)     \
    {                                                                                      \
        return unary(n, in, out, op);                                                      \
    }
UNARY(op_relu, U_RELU)
UNARY(op_sigmoid, U_SIGMOID)
UNARY(op_tanh, U_TANH)
UNARY(op_neg, U_NEG)
UNARY(op_sqrt, U_SQRT)
UNARY(op_erf, U_ERF)
UNARY(op_exp, U_EXP)
UNARY(op_log, U_LOG)
UNARY(op_abs, U_ABS)
UNARY(op_reciprocal, U_RECIP)
UNARY(op_not, U_NOT)
UNARY(op_sin, U_SIN)
UNARY(op_cos, U_COS)
UNARY(op_floor, U_FLOOR)
UNARY(op_ceil, U_CEIL)
UNARY(op_round, U_ROUND)
UNARY(op_leaky_relu, U_LEAKY)

static cv_status op_identity(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    out[0] = ox_tensor_clone(in[0]);
    return out[0] ? cv_ok() : ox_oom(n);
}

static cv_status op_cast(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    int64_t to = ox_attr_int(n, "to", 0);
    if (!ox_dtype_supported((int)to))
        return ox_err(n, "cast to unsupported type %s", ox_dtype_name((int)to));
    const ox_tensor *x = in[0];
    ox_tensor *y = ox_tensor_new((ox_dtype)to, x->ndim, x->shape);
    if (!y) return ox_oom(n);
    if (x->dtype == y->dtype) memcpy(y->data, x->data, x->count * ox_dtype_size(x->dtype));
    else if (y->dtype == OX_INT64 || y->dtype == OX_INT32)
        for (size_t i = 0; i < x->count; i++) {
            if (x->dtype == OX_FLOAT) ox_set_f64(y, i, ox_get_f64(x, i)); /* truncates */
            else if (y->dtype == OX_INT64) ox_i64(y)[i] = ox_get_i64(x, i);
            else ox_i32(y)[i] = (int32_t)ox_get_i64(x, i);
        }
    else
        for (size_t i = 0; i < x->count; i++) ox_set_f64(y, i, ox_get_f64(x, i));
    out[0] = y;
    return cv_ok();
}

/* Clip(x, min?, max?) (opset >= 11: bounds are optional scalar inputs) */
static cv_status op_clip(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *x = in[0];
    const ox_tensor *lo = n->n_in > 1 ? in[1] : NULL, *hi = n->n_in > 2 ? in[2] : NULL;
    if ((lo && lo->count != 1) || (hi && hi->count != 1)) return ox_err(n, "bounds are not scalars");
    ox_tensor *y = ox_tensor_clone(x);
    if (!y) return ox_oom(n);
    const double l = lo ? ox_get_f64(lo, 0) : -INFINITY, h = hi ? ox_get_f64(hi, 0) : INFINITY;
    for (size_t i = 0; i < y->count; i++) {
        double v = ox_get_f64(y, i);
        if (v < l) v = l;
        if (v > h) v = h;
        ox_set_f64(y, i, v);
    }
    out[0] = y;
    return cv_ok();
}

const ox_op ox_ops_elementwise[] = {
    {"Add", op_add, 2, 2},
    {"Sub", op_sub, 2, 2},
    {"Mul", op_mul, 2, 2},
    {"Div", op_div, 2, 2},
    {"Pow", op_pow, 2, 2},
    {"Max", op_max, 2, 2},
    {"Min", op_min, 2, 2},
    {"Equal", op_equal, 2, 2},
    {"Less", op_less, 2, 2},
    {"Greater", op_greater, 2, 2},
    {"GreaterOrEqual", op_greater_equal, 2, 2},
    {"LessOrEqual", op_less_equal, 2, 2},
    {"And", op_and, 2, 2},
    {"Or", op_or, 2, 2},
    {"Xor", op_xor, 2, 2},
    {"Where", op_where, 3, 3},
    {"Relu", op_relu, 1, 1},
    {"Sigmoid", op_sigmoid, 1, 1},
    {"Tanh", op_tanh, 1, 1},
    {"Neg", op_neg, 1, 1},
    {"Sqrt", op_sqrt, 1, 1},
    {"Erf", op_erf, 1, 1},
    {"Exp", op_exp, 1, 1},
    {"Log", op_log, 1, 1},
    {"Abs", op_abs, 1, 1},
    {"Reciprocal", op_reciprocal, 1, 1},
    {"Not", op_not, 1, 1},
    {"Sin", op_sin, 1, 1},
    {"Cos", op_cos, 1, 1},
    {"Floor", op_floor, 1, 1},
    {"Ceil", op_ceil, 1, 1},
    {"Round", op_round, 1, 1},
    {"LeakyRelu", op_leaky_relu, 1, 1},
    {"Identity", op_identity, 1, 1},
    {"Cast", op_cast, 1, 1},
    {"Clip", op_clip, 1, 3},
    {NULL, NULL, 0, 0},
};
