#include "nn/conv_bf16.h"

#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nn/dnnl_engine.h"
#include "nn/parallel.h"
#include "nn/scratch.h"
#include "nn/weights.h"

/* Pieces of PIECE output frames (the last one shorter). A fixed length,
 * not a fraction of the output, so the interior pieces of a layer have the
 * same shape whatever the input length: a streaming vocoder, whose length
 * changes from chunk to chunk, then makes new primitives (about 0.5 ms of
 * JIT each) only for its first and last pieces. Long enough for the
 * per-piece weight reorder (cout x cin x kernel) to stay a few percent. */
#define PIECE 1024
/* Below this many multiply-adds the primitive's set-up outweighs the gain
 * (the same bound as nn_gemm's bf16 products). */
#define MIN_MACS (1L << 18)
/* Primitives per thread: a vocoder call uses up to 3 piece shapes (first,
 * interior, last) for each of its 40-70 convolution shapes. */
#define CACHE_SLOTS 256

void omp_set_num_threads(int n); /* libgomp's; see backend.c */

const uint16_t *nn_conv1d_bf16_weight(const nn_conv1d_params *p, int T, const float *w)
{
    if (nn_get_precision() != NN_BF16 || p->groups != 1) return NULL;
    const long macs = (long)p->cin * p->cout * p->kernel * nn_conv1d_out_len(p, T);
    if (macs < MIN_MACS) return NULL;
    return nn_weights_bf16(w, (size_t)p->cout * p->cin * p->kernel);
}

/* One piece's problem: everything the primitives are made for. The input
 * window is a strided view of x [cin][T] (row stride ld_in), the output a
 * view of y [cout][Tout] (row stride ld_out). */
typedef struct conv_key {
    int cin, cout, kernel, stride, dilation;
    int win, pl, pr, n; /* input window, its padding, output frames */
    int ld_in, ld_out;
    bool bias, acc; /* acc: the output reorder adds into y */
} conv_key;

typedef struct conv_entry {
    conv_key key;
    dnnl_primitive_t conv, src_re, dst_re, w_re;
    /* user views (f32 x window, f32 y window, bf16 oiw weight, bias) and
     * the primitive's own layouts, which live in scratch */
    dnnl_memory_t x, y, w, b, cx, cy, cw;
    size_t cx_bytes, cy_bytes, cw_bytes;
    unsigned long used;
} conv_entry;

typedef struct conv_cache {
    dnnl_stream_t stream;
    conv_entry e[CACHE_SLOTS];
    unsigned long clock;
} conv_cache;

static pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t cache_key;

static void drop_entry(conv_entry *e)
{
    dnnl_primitive_t *prims[] = {&e->conv, &e->src_re, &e->dst_re, &e->w_re};
    for (size_t i = 0; i < sizeof prims / sizeof *prims; i++)
        if (*prims[i]) dnnl_primitive_destroy(*prims[i]);
    dnnl_memory_t *mems[] = {&e->x, &e->y, &e->w, &e->b, &e->cx, &e->cy, &e->cw};
    for (size_t i = 0; i < sizeof mems / sizeof *mems; i++)
        if (*mems[i]) dnnl_memory_destroy(*mems[i]);
    memset(e, 0, sizeof *e);
}

static void free_cache(void *p)
{
    conv_cache *c = p;
    if (!c) return;
    for (int i = 0; i < CACHE_SLOTS; i++) drop_entry(&c->e[i]);
    if (c->stream) dnnl_stream_destroy(c->stream);
    free(c);
}

static void make_cache_key(void) { pthread_key_create(&cache_key, free_cache); }

static conv_cache *thread_cache(void)
{
    dnnl_engine_t engine = nn_dnnl_engine();
    if (!engine) return NULL;
    pthread_once(&cache_key_once, make_cache_key);
    conv_cache *c = pthread_getspecific(cache_key);
    if (c) return c;
    c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (dnnl_stream_create(&c->stream, engine, dnnl_stream_default_flags) != dnnl_success ||
        pthread_setspecific(cache_key, c) != 0) {
        free_cache(c);
        return NULL;
    }
    omp_set_num_threads(1); /* the library stays serial on this thread */
    return c;
}

/* from -> to; with acc, to += from (a sum post-op) */
static bool reorder(dnnl_primitive_t *r, const dnnl_memory_desc_t *from,
                    const dnnl_memory_desc_t *to, bool acc)
{
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_engine_t engine = nn_dnnl_engine();
    bool ok = true;
    if (acc)
        ok = dnnl_primitive_attr_create(&attr) == dnnl_success &&
             dnnl_post_ops_create(&po) == dnnl_success &&
             dnnl_post_ops_append_sum(po, 1.0f) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
    ok = ok &&
         dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, attr) ==
             dnnl_success &&
         dnnl_primitive_create(r, pd) == dnnl_success;
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return ok;
}

static bool make_entry(conv_entry *e, const conv_key *k)
{
    dnnl_engine_t engine = nn_dnnl_engine();
    dnnl_memory_desc_t xu, yu, wu, bu, xa, ya, wa;
    dnnl_dims_t xd = {1, k->cin, k->win}, xs = {(dnnl_dim_t)k->cin * k->ld_in, k->ld_in, 1};
    dnnl_dims_t yd = {1, k->cout, k->n}, ys = {(dnnl_dim_t)k->cout * k->ld_out, k->ld_out, 1};
    dnnl_dims_t wd = {k->cout, k->cin, k->kernel}, bd = {k->cout};
    dnnl_dims_t strides = {k->stride}, dil = {k->dilation - 1}, pl = {k->pl}, pr = {k->pr};
    bool ok = dnnl_memory_desc_init_by_strides(&xu, 3, xd, dnnl_f32, xs) == dnnl_success &&
              dnnl_memory_desc_init_by_strides(&yu, 3, yd, dnnl_f32, ys) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&wu, 3, wd, dnnl_bf16, dnnl_oiw) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&bu, 1, bd, dnnl_f32, dnnl_x) == dnnl_success &&
              dnnl_memory_desc_init_by_tag(&xa, 3, xd, dnnl_bf16, dnnl_format_tag_any) ==
                  dnnl_success &&
              dnnl_memory_desc_init_by_tag(&ya, 3, yd, dnnl_f32, dnnl_format_tag_any) ==
                  dnnl_success &&
              dnnl_memory_desc_init_by_tag(&wa, 3, wd, dnnl_bf16, dnnl_format_tag_any) ==
                  dnnl_success;
    dnnl_convolution_desc_t cd;
    ok = ok && dnnl_dilated_convolution_forward_desc_init(
                   &cd, dnnl_forward_inference, dnnl_convolution_direct, &xa, &wa,
                   k->bias ? &bu : NULL, &ya,
                   strides, dil, pl, pr) == dnnl_success;
    dnnl_primitive_desc_t pd = NULL;
    ok = ok && dnnl_primitive_desc_create(&pd, &cd, NULL, engine, NULL) == dnnl_success;
    ok = ok && dnnl_primitive_create(&e->conv, pd) == dnnl_success;
    if (ok) {
        const dnnl_memory_desc_t *cx = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
        const dnnl_memory_desc_t *cw =
            dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        const dnnl_memory_desc_t *cy = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
        e->cx_bytes = dnnl_memory_desc_get_size(cx);
        e->cy_bytes = dnnl_memory_desc_get_size(cy);
        e->cw_bytes = dnnl_memory_desc_get_size(cw);
        ok = reorder(&e->src_re, &xu, cx, false) && reorder(&e->dst_re, cy, &yu, k->acc) &&
             reorder(&e->w_re, &wu, cw, false) &&
             dnnl_memory_create(&e->x, &xu, engine, DNNL_MEMORY_NONE) == dnnl_success &&
             dnnl_memory_create(&e->y, &yu, engine, DNNL_MEMORY_NONE) == dnnl_success &&
             dnnl_memory_create(&e->w, &wu, engine, DNNL_MEMORY_NONE) == dnnl_success &&
             dnnl_memory_create(&e->b, &bu, engine, DNNL_MEMORY_NONE) == dnnl_success &&
             dnnl_memory_create(&e->cx, cx, engine, DNNL_MEMORY_NONE) == dnnl_success &&
             dnnl_memory_create(&e->cy, cy, engine, DNNL_MEMORY_NONE) == dnnl_success &&
             dnnl_memory_create(&e->cw, cw, engine, DNNL_MEMORY_NONE) == dnnl_success;
    }
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (!ok) drop_entry(e);
    else e->key = *k;
    return ok;
}

static conv_entry *find_entry(conv_cache *c, const conv_key *k)
{
    conv_entry *lru = &c->e[0];
    for (int i = 0; i < CACHE_SLOTS; i++) {
        conv_entry *e = &c->e[i];
        if (e->conv && !memcmp(&e->key, k, sizeof *k)) return e;
        if (e->used < lru->used) lru = e;
    }
    drop_entry(lru);
    return make_entry(lru, k) ? lru : NULL;
}

static bool run(dnnl_primitive_t p, dnnl_stream_t s, int n, const dnnl_exec_arg_t *args)
{
    return dnnl_primitive_execute(p, s, n, args) == dnnl_success;
}

/* y window = conv(x window): reorders in and out of the primitive's
 * layouts around it, all in this thread's scratch. */
static bool conv_piece(const conv_key *k, const float *x, const uint16_t *wb, const float *b,
                       float *y)
{
    conv_cache *c = thread_cache();
    conv_entry *e = c ? find_entry(c, k) : NULL;
    if (!e || !x) return e != NULL; /* x NULL: only make the primitives */
    e->used = ++c->clock;
    /* scratch slots hold floats: sizes in bytes rounded up */
    void *sx = nn_scratch(NN_SCRATCH_CONV_SRC, e->cx_bytes / sizeof(float) + 1);
    void *sy = nn_scratch(NN_SCRATCH_CONV_DST, e->cy_bytes / sizeof(float) + 1);
    void *sw = nn_scratch(NN_SCRATCH_CONV_W, e->cw_bytes / sizeof(float) + 1);
    bool ok = sx && sy && sw && dnnl_memory_set_data_handle(e->x, (void *)x) == dnnl_success &&
              dnnl_memory_set_data_handle(e->y, y) == dnnl_success &&
              dnnl_memory_set_data_handle(e->w, (void *)wb) == dnnl_success &&
              dnnl_memory_set_data_handle(e->b, (void *)b) == dnnl_success &&
              dnnl_memory_set_data_handle(e->cx, sx) == dnnl_success &&
              dnnl_memory_set_data_handle(e->cy, sy) == dnnl_success &&
              dnnl_memory_set_data_handle(e->cw, sw) == dnnl_success;
    dnnl_exec_arg_t rw[2] = {{DNNL_ARG_FROM, e->w}, {DNNL_ARG_TO, e->cw}};
    dnnl_exec_arg_t rx[2] = {{DNNL_ARG_FROM, e->x}, {DNNL_ARG_TO, e->cx}};
    dnnl_exec_arg_t cv[4] = {{DNNL_ARG_SRC, e->cx},
                             {DNNL_ARG_WEIGHTS, e->cw},
                             {DNNL_ARG_DST, e->cy},
                             {DNNL_ARG_BIAS, e->b}}; /* the bias last: optional */
    dnnl_exec_arg_t ry[2] = {{DNNL_ARG_FROM, e->cy}, {DNNL_ARG_TO, e->y}};
    ok = ok && run(e->w_re, c->stream, 2, rw) && run(e->src_re, c->stream, 2, rx) &&
         run(e->conv, c->stream, b ? 4 : 3, cv) && run(e->dst_re, c->stream, 2, ry) &&
         dnnl_stream_wait(c->stream) == dnnl_success;
    return ok;
}

typedef struct conv_job {
    const nn_conv1d_params *p;
    const float *x, *b;
    const uint16_t *wb;
    float *y;
    int T, Tout;
    bool acc;
    _Atomic bool failed;
} conv_job;

/* Output frames [t0, t1) as one piece: the input window they read,
 * clipped to [0, T), with the rest as padding. false: all padding. */
static bool piece_key(const conv_job *j, int t0, int t1, conv_key *k, int *s0_out)
{
    const nn_conv1d_params *p = j->p;
    const int S = p->dilation * (p->kernel - 1) + 1;
    const int lo = t0 * p->stride - p->pad_left, hi = (t1 - 1) * p->stride - p->pad_left + S;
    const int s0 = lo > 0 ? lo : 0, s1 = hi < j->T ? hi : j->T;
    if (s1 <= s0) return false;
    memset(k, 0, sizeof *k); /* keys are compared with memcmp: padding too */
    k->cin = p->cin, k->cout = p->cout, k->kernel = p->kernel, k->stride = p->stride;
    k->dilation = p->dilation, k->win = s1 - s0, k->pl = s0 - lo, k->pr = hi - s1;
    k->n = t1 - t0, k->ld_in = j->T, k->ld_out = j->Tout;
    k->bias = j->b != NULL, k->acc = j->acc;
    *s0_out = s0;
    return true;
}

static void conv_frames(void *ctx, int t0, int t1)
{
    conv_job *j = ctx;
    conv_key k;
    int s0;
    if (!piece_key(j, t0, t1, &k, &s0)) { /* all padding: the bias alone */
        for (int c = 0; c < j->p->cout; c++) {
            float v = j->b ? j->b[c] : 0.0f, *yr = j->y + (size_t)c * j->Tout;
            for (int t = t0; t < t1; t++) yr[t] = j->acc ? yr[t] + v : v;
        }
        return;
    }
    if (!conv_piece(&k, j->x + s0, j->wb, j->b, j->y + t0)) j->failed = true;
}

/* Makes the primitives of every piece shape on this thread. */
static void probe_frames(void *ctx, int t0, int t1)
{
    conv_job *j = ctx;
    conv_key k;
    int s0;
    if (piece_key(j, t0, t1, &k, &s0) && !conv_piece(&k, NULL, NULL, NULL, NULL))
        j->failed = true;
}

nn_conv_bf16_result nn_conv1d_bf16(const nn_conv1d_params *p, const float *x, int T,
                                   const uint16_t *wb, const float *b, float *y, bool acc)
{
    const int Tout = nn_conv1d_out_len(p, T);
    if (Tout <= 0 || p->groups != 1) return NN_CONV_BF16_REFUSED;
    const int piece = PIECE;
    conv_job j = {.p = p, .x = x, .b = b, .wb = wb, .y = y, .T = T, .Tout = Tout, .acc = acc};
    /* at most three shapes (first, interior, last piece): cache hits after
     * the first call */
    nn_parallel_pieces(Tout, piece, probe_frames, &j);
    if (j.failed) return NN_CONV_BF16_REFUSED;
    nn_parallel_for(Tout, piece, conv_frames, &j);
    return j.failed ? NN_CONV_BF16_FAILED : NN_CONV_BF16_DONE;
}
