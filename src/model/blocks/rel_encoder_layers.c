/* The building blocks of the relative-position encoder: input embedding,
 * sinusoids, relative-position attention and the feed-forward block. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/blocks/rel_encoder_internal.h"
#include "nn/head_dots.h"
#include "nn/matmul.h"
#include "nn/ops.h"

void rel_lin_apply(const rel_lin *l, const float *x, int n, float *y, nn_pool *pool)
{
    if (n == 1 && l->q8.q) nn_q8_matvec(pool, &l->q8, l->b, x, y);
    else if (n == 1) nn_matvec(pool, l->w, l->b, l->out, l->in, x, y);
    else nn_linear(x, n, l->in, l->w, l->b, l->out, y);
}

void rel_pos_sinusoids(const rel_encoder *enc, int r0, int n, float *out)
{
    int d = enc->cfg.output_size;
    for (int t = 0; t < n; t++) {
        /* the reference builds pe_negative from (-position) * div_term,
         * which is the same float expression with a negative position */
        float r = (float)(r0 + t);
        float *row = out + (size_t)t * d;
        for (int i = 0; i < d / 2; i++) {
            float a = r * enc->div_term[i];
            row[2 * i] = sinf(a);
            row[2 * i + 1] = cosf(a);
        }
    }
}

void rel_embed(const rel_encoder *enc, const float *x, int n, float *h, nn_pool *pool)
{
    int d = enc->cfg.output_size;
    rel_lin_apply(&enc->embed, x, n, h, pool);
    nn_layer_norm(h, h, n, d, enc->embed_norm.g, enc->embed_norm.b, 1e-5f);
    if (enc->cfg.input_layer == REL_ENC_INPUT_LINEAR_LEGACY) nn_relu(h, h, (size_t)n * d);
    nn_scale(h, sqrtf((float)d), (size_t)n * d);
}

static int visible_end(int pos, int chunk, int Tk)
{
    if (chunk <= 0) return Tk;
    long end = ((long)pos / chunk + 1) * chunk;
    return end < Tk ? (int)end : Tk;
}

cv_status rel_attention(const rel_encoder *enc, const rel_layer *L, const float *q, int n,
                        int pos0, const float *k, const float *v, int Tk, const float *P,
                        int P_rows, int p_off, int chunk, float *ctx)
{
    int H = enc->cfg.attention_heads, d = enc->cfg.output_size, dk = d / H;
    float sq = sqrtf((float)dk);
    size_t qsz = (size_t)n * dk;
    float *qu = malloc(qsz * sizeof(float));
    float *qv = malloc(qsz * sizeof(float));
    float *ac = malloc((size_t)n * Tk * sizeof(float));
    float *bd = malloc((size_t)n * P_rows * sizeof(float));
    if (!qu || !qv || !ac || !bd) {
        free(qu), free(qv), free(ac), free(bd);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory in attention");
    }
    for (int h = 0; h < H; h++) {
        const float *u = L->bias_u + (size_t)h * dk, *w = L->bias_v + (size_t)h * dk;
        for (int i = 0; i < n; i++) {
            const float *qi = q + (size_t)i * d + (size_t)h * dk;
            for (int c = 0; c < dk; c++) {
                qu[(size_t)i * dk + c] = qi[c] + u[c];
                qv[(size_t)i * dk + c] = qi[c] + w[c];
            }
        }
        /* content term (q+u).k_j and position term (q+v).P(r) */
        nn_gemm(false, true, n, Tk, dk, 1.0f, qu, dk, k + (size_t)h * dk, d, 0.0f, ac, Tk);
        nn_gemm(false, true, n, P_rows, dk, 1.0f, qv, dk, P + (size_t)h * dk, d, 0.0f, bd,
                P_rows);
        for (int i = 0; i < n; i++) {
            int pos = pos0 + i;
            int end = visible_end(pos, chunk, Tk);
            float *row = ac + (size_t)i * Tk;
            const float *brow = bd + (size_t)i * P_rows;
            for (int j = 0; j < end; j++) {
                int r = pos - j + p_off; /* row of P(pos - j) */
                row[j] = (row[j] + brow[r]) / sq;
            }
            nn_softmax_rows(row, 1, end);
            memset(row + end, 0, (size_t)(Tk - end) * sizeof(float));
        }
        nn_gemm(false, false, n, dk, Tk, 1.0f, ac, Tk, v + (size_t)h * dk, d, 0.0f,
                ctx + (size_t)h * dk, d);
    }
    free(qu), free(qv), free(ac), free(bd);
    return cv_ok();
}

typedef struct one_job {
    const rel_encoder *enc;
    const rel_layer *L;
    const float *q, *k, *v, *P;
    int pos, Tk;
    float *qu, *qv; /* [d]: q + bias_u, q + bias_v */
    float *ac, *bd; /* [heads][Tk]: content and position scores */
    float *ctx;
} one_job;

/* Heads [h0, h1) of a single-query attention, the cache read row by row
 * (nn_head_dots); the same numbers as a loop of nn_dot / nn_axpy per head. */
static void one_heads(void *arg, int h0, int h1)
{
    const one_job *j = arg;
    int d = j->enc->cfg.output_size, dk = d / j->enc->cfg.attention_heads, Tk = j->Tk;
    float sq = sqrtf((float)dk);
    for (int c = h0 * dk; c < h1 * dk; c++) {
        j->qu[c] = j->q[c] + j->L->bias_u[c];
        j->qv[c] = j->q[c] + j->L->bias_v[c];
    }
    /* (q+u).k_t and (q+v).P(pos - t): P's rows in descending order */
    nn_head_dots(j->qu, dk, h0, h1, 1, dk, j->k, d, Tk, j->ac, Tk);
    nn_head_dots(j->qv, dk, h0, h1, 1, dk, j->P + (size_t)j->pos * d, -(ptrdiff_t)d, Tk, j->bd,
                 Tk);
    for (int h = h0; h < h1; h++) {
        float *sc = j->ac + (size_t)h * Tk;
        const float *bd = j->bd + (size_t)h * Tk;
        for (int t = 0; t < Tk; t++) sc[t] = (sc[t] + bd[t]) / sq;
        nn_softmax_rows(sc, 1, Tk);
    }
    nn_head_weighted_sum(j->ac, Tk, h0, h1, 1, dk, j->v, d, Tk, j->ctx, dk);
}

cv_status rel_attention_one(const rel_encoder *enc, const rel_layer *L, const float *q,
                            int pos, const float *k, const float *v, int Tk, const float *P,
                            float *ctx, nn_pool *pool)
{
    int H = enc->cfg.attention_heads, d = enc->cfg.output_size;
    one_job j = {.enc = enc, .L = L, .q = q, .k = k, .v = v, .P = P, .pos = pos, .Tk = Tk,
                 .ctx = ctx};
    float *scratch = malloc((2 * (size_t)d + 2 * (size_t)H * Tk) * sizeof(float));
    if (!scratch) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory in attention");
    j.qu = scratch, j.qv = j.qu + d, j.ac = j.qv + d, j.bd = j.ac + (size_t)H * Tk;
    /* heads are independent, worth splitting once the cache holds a few
     * rows (each 3 * 4 KB at d = 1024); one range per thread keeps each
     * thread's reads of a row contiguous (the numbers do not depend on the
     * split) */
    int threads = nn_pool_size(pool);
    nn_pool_for(Tk >= 16 ? pool : NULL, H, (H + threads - 1) / threads, one_heads, &j);
    free(scratch);
    return cv_ok();
}

cv_status rel_feed_forward(const rel_encoder *enc, const rel_layer *L, float *h, int n,
                           nn_pool *pool)
{
    int d = enc->cfg.output_size, F = enc->cfg.linear_units;
    float *xn = malloc((size_t)n * d * sizeof(float));
    float *mid = malloc((size_t)n * F * sizeof(float));
    float *o = malloc((size_t)n * d * sizeof(float));
    if (!xn || !mid || !o) {
        free(xn), free(mid), free(o);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory in feed-forward");
    }
    nn_layer_norm(h, xn, n, d, L->norm_ff.g, L->norm_ff.b, 1e-12f);
    rel_lin_apply(&L->w1, xn, n, mid, pool);
    if (enc->cfg.activation == REL_ENC_ACT_SWISH) nn_silu(mid, mid, (size_t)n * F);
    else nn_relu(mid, mid, (size_t)n * F);
    rel_lin_apply(&L->w2, mid, n, o, pool);
    nn_add(h, o, (size_t)n * d);
    free(xn), free(mid), free(o);
    return cv_ok();
}
