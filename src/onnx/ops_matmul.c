/* MatMul (numpy semantics, batch dimensions broadcast) and Gemm, on
 * the compute library through nn_gemm. */
#include <string.h>

#include "nn/matmul.h"
#include "onnx/onnx_internal.h"

static cv_status op_matmul(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *a = in[0], *b = in[1];
    if (a->dtype != OX_FLOAT || b->dtype != OX_FLOAT) return ox_err(n, "not float");
    if (a->ndim < 1 || b->ndim < 1) return ox_err(n, "scalar operand");
    /* promote 1-D operands to matrices, dropping the added dim afterwards */
    const int64_t M = a->ndim == 1 ? 1 : a->shape[a->ndim - 2];
    const int64_t K = a->shape[a->ndim - 1];
    const int64_t Kb = b->ndim == 1 ? b->shape[0] : b->shape[b->ndim - 2];
    const int64_t N = b->ndim == 1 ? 1 : b->shape[b->ndim - 1];
    if (K != Kb) return ox_err(n, "inner dimensions differ (%lld vs %lld)", (long long)K, (long long)Kb);
    if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) return ox_err(n, "too large");
    const int ba = a->ndim > 2 ? a->ndim - 2 : 0, bb = b->ndim > 2 ? b->ndim - 2 : 0;
    int nbatch;
    int64_t bshape[OX_MAX_DIMS];
    if (!ox_broadcast_shape(ba, a->shape, bb, b->shape, &nbatch, bshape))
        return ox_err(n, "batch dimensions do not broadcast");
    int64_t shape[OX_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < nbatch; d++) shape[nd++] = bshape[d];
    if (a->ndim > 1) shape[nd++] = M;
    if (b->ndim > 1) shape[nd++] = N;
    if (nd > OX_MAX_DIMS) return ox_err(n, "too many dimensions");
    ox_tensor *y = ox_tensor_new(OX_FLOAT, nd, shape);
    if (!y) return ox_oom(n);
    size_t batches = 1;
    for (int d = 0; d < nbatch; d++) batches *= (size_t)bshape[d];
    if (y->count == 0 || K == 0) {
        out[0] = y;
        return cv_ok();
    }
    if (bb == 0) {
        /* B is one matrix: all of A's rows in one GEMM */
        nn_gemm(false, false, (int)(M * (int64_t)(a->count / (size_t)(M * K))), (int)N, (int)K,
                1.0f, ox_f(a), (int)K, ox_f(b), (int)N, 0.0f, ox_f(y), (int)N);
        out[0] = y;
        return cv_ok();
    }
    /* batch strides of a and b over the broadcast batch shape */
    ox_tensor av = *a, bv = *b;
    av.ndim = ba;
    bv.ndim = bb;
    int64_t sa[OX_MAX_DIMS], sb[OX_MAX_DIMS], idx[OX_MAX_DIMS] = {0};
    ox_broadcast_strides(&av, nbatch, bshape, sa);
    ox_broadcast_strides(&bv, nbatch, bshape, sb);
    for (size_t bi = 0; bi < batches; bi++) {
        int64_t oa = 0, ob = 0;
        for (int d = 0; d < nbatch; d++) {
            oa += idx[d] * sa[d];
            ob += idx[d] * sb[d];
        }
        nn_gemm(false, false, (int)M, (int)N, (int)K, 1.0f, ox_f(a) + oa * M * K, (int)K,
                ox_f(b) + ob * K * N, (int)N, 0.0f, ox_f(y) + bi * (size_t)(M * N), (int)N);
        for (int d = nbatch - 1; d >= 0; d--) {
            if (++idx[d] < bshape[d]) break;
            idx[d] = 0;
        }
    }
    out[0] = y;
    return cv_ok();
}

static cv_status op_gemm(const ox_node *n, const ox_tensor *const *in, ox_tensor **out)
{
    const ox_tensor *a = in[0], *b = in[1], *c = n->n_in > 2 ? in[2] : NULL;
    if (a->dtype != OX_FLOAT || b->dtype != OX_FLOAT || a->ndim != 2 || b->ndim != 2 ||
        (c && c->dtype != OX_FLOAT))
        return ox_err(n, "needs 2-D float operands");
    const bool ta = ox_attr_int(n, "transA", 0) != 0, tb = ox_attr_int(n, "transB", 0) != 0;
    const float alpha = ox_attr_float(n, "alpha", 1.0f), beta = ox_attr_float(n, "beta", 1.0f);
    const int64_t M = ta ? a->shape[1] : a->shape[0], K = ta ? a->shape[0] : a->shape[1];
    const int64_t Kb = tb ? b->shape[1] : b->shape[0], N = tb ? b->shape[0] : b->shape[1];
    if (K != Kb) return ox_err(n, "inner dimensions differ");
    if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) return ox_err(n, "too large");
    int64_t shape[2] = {M, N}, sc[2];
    ox_tensor *y = ox_tensor_new(OX_FLOAT, 2, shape);
    if (!y) return ox_oom(n);
    if (c) {
        int nd;
        int64_t bs[OX_MAX_DIMS];
        if (!ox_broadcast_shape(c->ndim, c->shape, 2, shape, &nd, bs) || nd != 2 ||
            bs[0] != M || bs[1] != N) {
            ox_tensor_free(y);
            return ox_err(n, "C does not broadcast to [M, N]");
        }
        ox_broadcast_strides(c, 2, shape, sc);
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++)
                ox_f(y)[i * N + j] = beta * ox_f(c)[i * sc[0] + j * sc[1]];
    }
    if (M && N && K)
        nn_gemm(ta, tb, (int)M, (int)N, (int)K, alpha, ox_f(a), (int)a->shape[1], ox_f(b),
                (int)b->shape[1], c ? 1.0f : 0.0f, ox_f(y), (int)N);
    out[0] = y;
    return cv_ok();
}

const ox_op ox_ops_matmul[] = {
    {"MatMul", op_matmul, 2, 2},
    {"Gemm", op_gemm, 2, 3},
    {NULL, NULL, 0, 0},
};
