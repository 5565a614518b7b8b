#include "nn/matvec.h"

#include "nn/backend.h"
#include "nn/dot_avx2.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* ---- float32 ------------------------------------------------------------ */

static void rows_f32_scalar(const float *W, int r0, int r1, int in, const float *x, float *y)
{
    for (int r = r0; r < r1; r++) {
        const float *w = W + (size_t)r * in;
        float s = 0;
        for (int c = 0; c < in; c++) s += w[c] * x[c];
        y[r] = s;
    }
}

#if HAVE_X86
/* Four rows at a time so each load of x serves four weight streams. */
__attribute__((target("avx2,fma"))) static void rows_f32_avx2(const float *W, int r0, int r1,
                                                               int in, const float *x, float *y)
{
    int r = r0, c8 = in & ~7;
    for (; r + 4 <= r1; r += 4) {
        const float *w0 = W + (size_t)r * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < c8; c += 8) {
            __m256 xv = _mm256_loadu_ps(x + c);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c), xv, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c), xv, a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c), xv, a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c), xv, a3);
        }
        float s0 = nn_hsum256(a0), s1 = nn_hsum256(a1), s2 = nn_hsum256(a2), s3 = nn_hsum256(a3);
        for (int c = c8; c < in; c++) {
            s0 += w0[c] * x[c], s1 += w1[c] * x[c], s2 += w2[c] * x[c], s3 += w3[c] * x[c];
        }
        y[r] = s0, y[r + 1] = s1, y[r + 2] = s2, y[r + 3] = s3;
    }
    /* the rows left over get the same summation as in a block of four, so a
     * row's value does not depend on where a piece of rows starts */
    for (; r < r1; r++) {
        const float *w0 = W + (size_t)r * in;
        __m256 a0 = _mm256_setzero_ps();
        for (int c = 0; c < c8; c += 8)
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c), _mm256_loadu_ps(x + c), a0);
        float s0 = nn_hsum256(a0);
        for (int c = c8; c < in; c++) s0 += w0[c] * x[c];
        y[r] = s0;
    }
}
#endif

static bool use_avx2(void) { return nn_cpu_avx2(); }

/* ---- dot product ---------------------------------------------------------- */

float nn_dot(const float *a, const float *b, int n)
{
#if HAVE_X86
    if (use_avx2()) return nn_dot_avx2(a, b, n);
#endif
    float s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* ---- 8-bit weights --------------------------------------------------------- */

/* Columns per int32 partial sum in the AVX2 kernel (see rows_q8_avx2). */
#define Q8_BLOCK 256

/* Large weight arrays on 2 MB pages where the kernel offers them
 * (transparent huge pages in "madvise" mode, as on Debian): decoding reads
 * every weight once per token, and on 4 KB pages that is a TLB miss every
 * 4 KB, expensive under virtualisation (a two-level page walk). */
#define HUGE_PAGE (2UL << 20)
static int8_t *q8_alloc(size_t n)
{
    if (n < HUGE_PAGE) return malloc(n);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, n) != 0) return NULL;
    /* only the whole 2 MB pages: a partly used one at the end would be
     * resident in full (up to 2 MB per matrix, 100 MB over Qwen2's) */
    madvise(p, n & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
    return p;
}

bool nn_q8_quantize(const float *W, int rows, int cols, nn_q8 *m)
{
    memset(m, 0, sizeof *m);
    m->q = q8_alloc((size_t)rows * cols);
    m->scale = malloc((size_t)rows * sizeof(float));
    if (!m->q || !m->scale) {
        nn_q8_free(m);
        return false;
    }
    m->rows = rows;
    m->cols = cols;
    for (int r = 0; r < rows; r++) {
        const float *w = W + (size_t)r * cols;
        float mx = 0;
        for (int c = 0; c < cols; c++) mx = fmaxf(mx, fabsf(w[c]));
        float s = mx > 0 ? mx / 127.0f : 1.0f;
        m->scale[r] = s;
        int8_t *q = m->q + (size_t)r * cols;
        for (int c = 0; c < cols; c++) {
            long v = lrintf(w[c] / s);
            q[c] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
        }
    }
    return true;
}

void nn_q8_free(nn_q8 *m)
{
    free(m->q);
    free(m->scale);
    memset(m, 0, sizeof *m);
}

static void rows_q8_scalar(const nn_q8 *m, int r0, int r1, const float *x, float *y)
{
    int in = m->cols;
    for (int r = r0; r < r1; r++) {
        const int8_t *q = m->q + (size_t)r * in;
        float s = 0;
        for (int c = 0; c < in; c++) s += (float)q[c] * x[c];
        y[r] = s * m->scale[r];
    }
}

#if HAVE_X86
/* x is rounded to 16 bits (one scale for the vector: relative error about
 * 1.5e-5 of its largest entry, far below the weights' 8-bit rounding) so
 * each 16 weights take one widening load, one vpmaddwd and one add; the
 * int32 partial sums are flushed to the float32 accumulator every
 * Q8_BLOCK columns, well before they could overflow
 * (Q8_BLOCK/16 sums of 2 * 127 * 32767 per lane < 2^31). Columns past the
 * last whole block go through the vector loop too, as a shorter block
 * (CosyVoice2's hidden size 896 is 3.5 blocks); only the last in % 16
 * (AVX2) or in % 32 (AVX-512) are summed one by one in float32. */

/* One row as rows_q8_avx2 computes each of its pair. */
__attribute__((target("avx2,fma"))) static float row_q8_avx2(const int8_t *q0, int in,
                                                             const int16_t *x16, float xs,
                                                             const float *x)
{
    int cb = in & ~15;
    __m256 f0 = _mm256_setzero_ps();
    for (int c0 = 0; c0 < cb; c0 += Q8_BLOCK) {
        __m256i i0 = _mm256_setzero_si256();
        for (int c = c0; c < c0 + Q8_BLOCK && c < cb; c += 16) {
            __m256i xv = _mm256_loadu_si256((const __m256i *)(x16 + c));
            __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q0 + c)));
            i0 = _mm256_add_epi32(i0, _mm256_madd_epi16(w0, xv));
        }
        f0 = _mm256_add_ps(f0, _mm256_cvtepi32_ps(i0));
    }
    float s0 = nn_hsum256(f0) * xs;
    for (int c = cb; c < in; c++) s0 += (float)q0[c] * x[c];
    return s0;
}

__attribute__((target("avx2,fma"))) static void rows_q8_avx2(const nn_q8 *m, int r0, int r1,
                                                              const int16_t *x16, float xs,
                                                              const float *x, float *y)
{
    int in = m->cols, cb = in & ~15, r = r0;
    for (; r + 2 <= r1; r += 2) {
        const int8_t *q0 = m->q + (size_t)r * in, *q1 = q0 + in;
        /* the next pair's rows, as in rows_q8_avx512 */
        const char *pf = r + 4 <= r1 ? (const char *)(q1 + in) : NULL;
        __m256 f0 = _mm256_setzero_ps(), f1 = f0;
        for (int c0 = 0; c0 < cb; c0 += Q8_BLOCK) {
            __m256i i0 = _mm256_setzero_si256(), i1 = i0;
            for (int c = c0; c < c0 + Q8_BLOCK && c < cb; c += 16) {
                if (pf && !(c & 63)) {
                    _mm_prefetch(pf + c, _MM_HINT_T0);
                    _mm_prefetch(pf + (size_t)in + c, _MM_HINT_T0);
                }
                __m256i xv = _mm256_loadu_si256((const __m256i *)(x16 + c));
                __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q0 + c)));
                __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q1 + c)));
                i0 = _mm256_add_epi32(i0, _mm256_madd_epi16(w0, xv));
                i1 = _mm256_add_epi32(i1, _mm256_madd_epi16(w1, xv));
            }
            f0 = _mm256_add_ps(f0, _mm256_cvtepi32_ps(i0));
            f1 = _mm256_add_ps(f1, _mm256_cvtepi32_ps(i1));
        }
        float s0 = nn_hsum256(f0) * xs, s1 = nn_hsum256(f1) * xs;
        for (int c = cb; c < in; c++) s0 += (float)q0[c] * x[c], s1 += (float)q1[c] * x[c];
        y[r] = s0 * m->scale[r];
        y[r + 1] = s1 * m->scale[r + 1];
    }
    if (r < r1) y[r] = row_q8_avx2(m->q + (size_t)r * in, in, x16, xs, x) * m->scale[r];
}
#endif

#if HAVE_X86
/* AVX-512: 32 weights per vpmovsxbw and one vpdpwssd (multiply, add pairs
 * and accumulate in one instruction); the same integer sums per Q8_BLOCK as
 * the AVX2 kernel, flushed to 16 float lanes. One row at a time, for the
 * rows left over by rows_q8_avx512's blocks of four. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static float
row_q8_avx512(const int8_t *q0, int in, const int16_t *x16, float xs, const float *x)
{
    int cb = in & ~31;
    __m512 f0 = _mm512_setzero_ps();
    for (int c0 = 0; c0 < cb; c0 += Q8_BLOCK) {
        __m512i i0 = _mm512_setzero_si512();
        for (int c = c0; c < c0 + Q8_BLOCK && c < cb; c += 32) {
            __m512i xv = _mm512_loadu_si512((const void *)(x16 + c));
            __m512i w0 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(q0 + c)));
            i0 = _mm512_dpwssd_epi32(i0, w0, xv);
        }
        f0 = _mm512_add_ps(f0, _mm512_cvtepi32_ps(i0));
    }
    float s0 = _mm512_reduce_add_ps(f0) * xs;
    for (int c = cb; c < in; c++) s0 += (float)q0[c] * x[c];
    return s0;
}

/* acc += the products of 32 weights of row k at column c with xv */
#define Q8_DP(acc, k, c, xv)                                                                 \
    acc = _mm512_dpwssd_epi32(                                                               \
        acc, _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(q##k + (c)))), xv)

/* Four rows per pass, two integer accumulators per row (even and odd
 * 32-column steps): a vpdpwssd must wait for the previous one on the same
 * accumulator (about 5 cycles), so one accumulator per row, two rows per
 * pass, left the core idle most of the time even with the weights in
 * cache. The two partial sums are added as integers before the flush to
 * float, so each row's result is exactly what row_q8_avx512 computes.
 * While a pass works on its four rows, the next pass's rows are
 * prefetched (one line per row per 64 columns): the weights are read
 * once per token from memory, and the hardware prefetchers alone left
 * half the bandwidth unused. Only rows of this piece are prefetched, so
 * no memory traffic is spent on rows another thread will read. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void
rows_q8_avx512(const nn_q8 *m, int r0, int r1, const int16_t *x16, float xs, const float *x,
               float *y)
{
    int in = m->cols, cb = in & ~31, r = r0;
    for (; r + 4 <= r1; r += 4) {
        const int8_t *q0 = m->q + (size_t)r * in, *q1 = q0 + in, *q2 = q1 + in, *q3 = q2 + in;
        const char *pf = r + 8 <= r1 ? (const char *)(q3 + in) : NULL;
        __m512 f0 = _mm512_setzero_ps(), f1 = f0, f2 = f0, f3 = f0;
        for (int c0 = 0; c0 < cb; c0 += Q8_BLOCK) {
            int ce = c0 + Q8_BLOCK < cb ? c0 + Q8_BLOCK : cb, c = c0;
            __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
            __m512i b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (; c + 64 <= ce; c += 64) {
                if (pf) {
                    _mm_prefetch(pf + c, _MM_HINT_T0);
                    _mm_prefetch(pf + (size_t)in + c, _MM_HINT_T0);
                    _mm_prefetch(pf + 2 * (size_t)in + c, _MM_HINT_T0);
                    _mm_prefetch(pf + 3 * (size_t)in + c, _MM_HINT_T0);
                }
                __m512i x0 = _mm512_loadu_si512((const void *)(x16 + c));
                __m512i x1 = _mm512_loadu_si512((const void *)(x16 + c + 32));
                Q8_DP(a0, 0, c, x0), Q8_DP(a1, 1, c, x0), Q8_DP(a2, 2, c, x0), Q8_DP(a3, 3, c, x0);
                Q8_DP(b0, 0, c + 32, x1), Q8_DP(b1, 1, c + 32, x1);
                Q8_DP(b2, 2, c + 32, x1), Q8_DP(b3, 3, c + 32, x1);
            }
            if (c < ce) { /* a block of 32 columns short of a multiple of 64 */
                __m512i x0 = _mm512_loadu_si512((const void *)(x16 + c));
                Q8_DP(a0, 0, c, x0), Q8_DP(a1, 1, c, x0), Q8_DP(a2, 2, c, x0), Q8_DP(a3, 3, c, x0);
            }
            f0 = _mm512_add_ps(f0, _mm512_cvtepi32_ps(_mm512_add_epi32(a0, b0)));
            f1 = _mm512_add_ps(f1, _mm512_cvtepi32_ps(_mm512_add_epi32(a1, b1)));
            f2 = _mm512_add_ps(f2, _mm512_cvtepi32_ps(_mm512_add_epi32(a2, b2)));
            f3 = _mm512_add_ps(f3, _mm512_cvtepi32_ps(_mm512_add_epi32(a3, b3)));
        }
        float s[4] = {_mm512_reduce_add_ps(f0) * xs, _mm512_reduce_add_ps(f1) * xs,
                      _mm512_reduce_add_ps(f2) * xs, _mm512_reduce_add_ps(f3) * xs};
        for (int k = 0; k < 4; k++) {
            const int8_t *qk = q0 + (size_t)k * in;
            for (int c = cb; c < in; c++) s[k] += (float)qk[c] * x[c];
            y[r + k] = s[k] * m->scale[r + k];
        }
    }
    for (; r < r1; r++) y[r] = row_q8_avx512(m->q + (size_t)r * in, in, x16, xs, x) * m->scale[r];
}
#undef Q8_DP
#endif

/* ---- x rounded to 16 bits -------------------------------------------------- */

#if HAVE_X86
/* max |x[c]|, or 0 if an entry is an inf or a NaN. */
__attribute__((target("avx2,fma"))) static float absmax_avx2(const float *x, int n)
{
    const __m256 sign = _mm256_set1_ps(-0.0f), big = _mm256_set1_ps(FLT_MAX);
    __m256 mx = _mm256_setzero_ps(), bad = mx;
    int c = 0;
    for (; c + 8 <= n; c += 8) {
        __m256 v = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + c));
        mx = _mm256_max_ps(mx, v);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(v, big, _CMP_NLE_UQ)); /* > FLT_MAX or NaN */
    }
    float lanes[8], m = 0;
    _mm256_storeu_ps(lanes, mx);
    for (int i = 0; i < 8; i++) m = lanes[i] > m ? lanes[i] : m;
    bool finite = _mm256_movemask_ps(bad) == 0;
    for (; c < n; c++) {
        float v = fabsf(x[c]);
        finite &= v <= FLT_MAX;
        m = v > m ? v : m;
    }
    return finite ? m : 0;
}

/* x16[c] = lrintf(x[c] * inv): vcvtps2dq rounds to nearest even as lrintf
 * does (the default rounding mode), and |x[c] * inv| <= 32767 packs to 16
 * bits without saturating. */
__attribute__((target("avx2,fma"))) static void round16_avx2(const float *x, int n, float inv,
                                                              int16_t *x16)
{
    const __m256 s = _mm256_set1_ps(inv);
    int c = 0;
    for (; c + 16 <= n; c += 16) {
        __m256i lo = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + c), s));
        __m256i hi = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + c + 8), s));
        __m256i p = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xd8);
        _mm256_storeu_si256((__m256i *)(x16 + c), p);
    }
    for (; c < n; c++) x16[c] = (int16_t)lrintf(x[c] * inv);
}
#endif

/* ---- jobs: one or more products of the same vector ------------------------ */

/* Below this many weights a product is over before another thread could
 * join in: run it on the caller. */
#define PARALLEL_MIN_WEIGHTS (1L << 16)
/* Rows per chunk handed to a thread: about PIECE_WEIGHTS weights (a
 * multiple of the kernels' blocks of four rows), small enough to balance,
 * large enough to amortise the claim and to keep the kernel's prefetch
 * (which stays inside a piece) ahead of most of it. Depends only on the
 * shape. */
#ifndef PIECE_WEIGHTS
#define PIECE_WEIGHTS (64L << 10)
#endif
static int row_grain(int in)
{
    long g = (PIECE_WEIGHTS / (in > 0 ? in : 1)) & ~3L;
    return g < 8 ? 8 : g > 1024 ? 1024 : (int)g;
}

typedef struct mv_job {
    const nn_matvec_item *items;
    int n_items, in;
    const float *x;
    const int16_t *x16; /* x rounded to 16 bits, x ~= x16 * xs; NULL if unused */
    float xs;
    bool avx512; /* the 8-bit kernel in AVX-512 VNNI (nn_backend_avx512_vnni) */
    int row0[NN_MATVEC_MAX_ITEMS + 1]; /* first global row of each item */
} mv_job;

static void item_rows(const mv_job *j, const nn_matvec_item *it, int r0, int r1)
{
    if (it->q8) {
#if HAVE_X86
        if (j->x16 && j->avx512) rows_q8_avx512(it->q8, r0, r1, j->x16, j->xs, j->x, it->y);
        else if (j->x16) rows_q8_avx2(it->q8, r0, r1, j->x16, j->xs, j->x, it->y);
        else rows_q8_scalar(it->q8, r0, r1, j->x, it->y);
#else
        rows_q8_scalar(it->q8, r0, r1, j->x, it->y);
#endif
    } else {
#if HAVE_X86
        if (use_avx2()) rows_f32_avx2(it->W, r0, r1, j->in, j->x, it->y);
        else rows_f32_scalar(it->W, r0, r1, j->in, j->x, it->y);
#else
        rows_f32_scalar(it->W, r0, r1, j->in, j->x, it->y);
#endif
    }
    if (it->b)
        for (int r = r0; r < r1; r++) it->y[r] += it->b[r];
}

/* Global rows [g0, g1) of the stacked items. */
static void job_rows(void *arg, int g0, int g1)
{
    const mv_job *j = arg;
    for (int i = 0; i < j->n_items && g0 < g1; i++) {
        int b = j->row0[i], e = j->row0[i + 1];
        if (g0 >= e) continue;
        int r1 = g1 < e ? g1 : e;
        item_rows(j, &j->items[i], g0 - b, r1 - b);
        g0 = r1;
    }
}

void nn_matvec_multi(nn_pool *p, const nn_matvec_item *items, int n_items, int in,
                     const float *x)
{
    if (n_items < 1) return;
    if (n_items > NN_MATVEC_MAX_ITEMS) { /* split rather than fail */
        nn_matvec_multi(p, items, NN_MATVEC_MAX_ITEMS, in, x);
        nn_matvec_multi(p, items + NN_MATVEC_MAX_ITEMS, n_items - NN_MATVEC_MAX_ITEMS, in, x);
        return;
    }
    mv_job j = {.items = items, .n_items = n_items, .in = in, .x = x};
    bool any_q8 = false;
    for (int i = 0; i < n_items; i++) {
        j.row0[i + 1] = j.row0[i] + items[i].out;
        any_q8 |= items[i].q8 != NULL;
    }
    int16_t *heap16 = NULL;
#if HAVE_X86
    int16_t stack16[4096];
    if (any_q8 && use_avx2() && in >= Q8_BLOCK) {
        int16_t *x16 = in <= 4096 ? stack16 : (heap16 = malloc((size_t)in * sizeof(int16_t)));
        float mx = x16 ? absmax_avx2(x, in) : 0;
        /* all zero, or an inf / NaN: the float32 loop, which propagates them */
        if (mx > 0) {
            round16_avx2(x, in, 32767.0f / mx, x16);
            j.x16 = x16;
            j.xs = mx / 32767.0f;
            j.avx512 = nn_backend_avx512_vnni();
        }
    }
#else
    (void)any_q8;
#endif
    int rows = j.row0[n_items];
    nn_pool_for((long)rows * in >= PARALLEL_MIN_WEIGHTS ? p : NULL, rows, row_grain(in), job_rows,
                &j);
    free(heap16);
}

void nn_matvec(nn_pool *p, const float *W, const float *b, int out, int in, const float *x,
               float *y)
{
    nn_matvec_item it = {.W = W, .b = b, .out = out, .y = y};
    nn_matvec_multi(p, &it, 1, in, x);
}

void nn_q8_matvec(nn_pool *p, const nn_q8 *m, const float *b, const float *x, float *y)
{
    nn_matvec_item it = {.q8 = m, .b = b, .out = m->rows, .y = y};
    nn_matvec_multi(p, &it, 1, m->cols, x);
}
