#include "nn/backend.h"
#include "nn/dnnl_engine.h"

#include <cpuid.h>
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- threads: the library stays serial on every thread that calls it ---- */

/* Debian's oneDNN runs on OpenMP; without this each calling thread would
 * start an OpenMP team of its own (oversubscribing the cores when the
 * pool's threads all call it) and split K differently per thread count. */
void omp_set_num_threads(int n); /* libgomp's (omp.h is not on clang's path) */

static _Thread_local bool serial_set;

static inline void make_serial(void)
{
    if (!serial_set) {
        omp_set_num_threads(1);
        serial_set = true;
    }
}

void nn_backend_sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb, float beta, float *C,
                      int ldc)
{
    make_serial();
    dnnl_status_t s = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, A,
                                 lda, B, ldb, beta, C, ldc);
    if (s != dnnl_success) {
        /* only invalid dimensions get here: a bug in the caller */
        fprintf(stderr, "nn: dnnl_sgemm(%c%c, %d, %d, %d, lda %d, ldb %d, ldc %d) failed: %d\n",
                trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, lda, ldb, ldc, (int)s);
        abort();
    }
}

bool nn_backend_check(char *why, size_t n)
{
    /* large enough for the JIT kernels (small products may take other paths) */
    enum { D = 64 };
    static float a[D * D], c[D * D];
    make_serial();
    dnnl_status_t s = dnnl_sgemm('N', 'N', D, D, D, 1.0f, a, D, a, D, 0.0f, c, D);
    if (s == dnnl_success) return true;
    snprintf(why, n,
             "oneDNN cannot make its kernels (status %d): it generates them at run time and "
             "needs memory it can make executable, which this process may not do (systemd "
             "MemoryDenyWriteExecute=yes, SELinux deny_execmem?)",
             (int)s);
    return false;
}

/* ---- bf16 products: matmul primitives, cached per thread ---------------- */

/* A primitive is made for one shape; with the library's default scratchpad
 * it must run on the thread that made it, so each thread keeps its own. */
#define CACHE_SLOTS 32

typedef struct mm_key {
    int M, N, K, lda, ldb, ldc;
    bool ta, tb;
    float alpha, beta;
} mm_key;

typedef struct mm_entry {
    mm_key key;
    dnnl_primitive_t prim;
    dnnl_memory_t a, b, c;
    unsigned long used;
} mm_entry;

typedef struct mm_cache {
    dnnl_stream_t stream;
    mm_entry e[CACHE_SLOTS];
    unsigned long clock;
} mm_cache;

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static pthread_key_t cache_key;

static void drop_entry(mm_entry *e)
{
    if (e->prim) dnnl_primitive_destroy(e->prim);
    if (e->a) dnnl_memory_destroy(e->a);
    if (e->b) dnnl_memory_destroy(e->b);
    if (e->c) dnnl_memory_destroy(e->c);
    memset(e, 0, sizeof *e);
}

static void free_cache(void *p)
{
    mm_cache *c = p;
    if (!c) return;
    for (int i = 0; i < CACHE_SLOTS; i++) drop_entry(&c->e[i]);
    if (c->stream) dnnl_stream_destroy(c->stream);
    free(c);
}

static void make_engine(void)
{
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) engine = NULL;
}

dnnl_engine_t nn_dnnl_engine(void)
{
    pthread_once(&engine_once, make_engine);
    return engine;
}

static pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;

static void make_cache_key(void) { pthread_key_create(&cache_key, free_cache); }

static mm_cache *thread_cache(void)
{
    if (!nn_dnnl_engine()) return NULL;
    pthread_once(&cache_key_once, make_cache_key);
    mm_cache *c = pthread_getspecific(cache_key);
    if (c) return c;
    c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (dnnl_stream_create(&c->stream, engine, dnnl_stream_default_flags) != dnnl_success ||
        pthread_setspecific(cache_key, c) != 0) {
        free_cache(c);
        return NULL;
    }
    return c;
}

/* 2-D descriptor of a row-major matrix with rows x cols as seen by the
 * product (transposed storage: column stride ld, row stride 1). */
static bool md2(dnnl_memory_desc_t *md, int rows, int cols, int ld, bool trans,
                dnnl_data_type_t dt)
{
    dnnl_dims_t dims = {rows, cols};
    dnnl_dims_t strides = {trans ? 1 : ld, trans ? ld : 1};
    return dnnl_memory_desc_init_by_strides(md, 2, dims, dt, strides) == dnnl_success;
}

static bool make_entry(mm_entry *e, const mm_key *k)
{
    dnnl_memory_desc_t a, b, c;
    if (!md2(&a, k->M, k->K, k->lda, k->ta, dnnl_bf16) ||
        !md2(&b, k->K, k->N, k->ldb, k->tb, dnnl_bf16) ||
        !md2(&c, k->M, k->N, k->ldc, false, dnnl_f32))
        return false;
    dnnl_matmul_desc_t d;
    if (dnnl_matmul_desc_init(&d, &a, &b, NULL, &c) != dnnl_success) return false;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    bool ok = dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok && k->alpha != 1.0f)
        ok = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &k->alpha) == dnnl_success;
    if (ok && k->beta != 0.0f) {
        ok = dnnl_post_ops_create(&po) == dnnl_success &&
             dnnl_post_ops_append_sum(po, k->beta) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, po) == dnnl_success;
    }
    dnnl_primitive_desc_t pd = NULL;
    ok = ok && dnnl_primitive_desc_create(&pd, &d, attr, engine, NULL) == dnnl_success;
    ok = ok && dnnl_primitive_create(&e->prim, pd) == dnnl_success;
    ok = ok && dnnl_memory_create(&e->a, &a, engine, DNNL_MEMORY_NONE) == dnnl_success;
    ok = ok && dnnl_memory_create(&e->b, &b, engine, DNNL_MEMORY_NONE) == dnnl_success;
    ok = ok && dnnl_memory_create(&e->c, &c, engine, DNNL_MEMORY_NONE) == dnnl_success;
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!ok) drop_entry(e);
    else e->key = *k;
    return ok;
}

static bool same_key(const mm_key *x, const mm_key *y)
{
    return x->M == y->M && x->N == y->N && x->K == y->K && x->lda == y->lda &&
           x->ldb == y->ldb && x->ldc == y->ldc && x->ta == y->ta && x->tb == y->tb &&
           x->alpha == y->alpha && x->beta == y->beta;
}

bool nn_backend_gemm_bf16(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                          const uint16_t *A, int lda, const uint16_t *B, int ldb, float beta,
                          float *C, int ldc)
{
    if (M <= 0 || N <= 0 || K <= 0) return false;
    make_serial();
    mm_cache *c = thread_cache();
    if (!c) return false;
    mm_key k = {M, N, K, lda, ldb, ldc, trans_a, trans_b, alpha, beta};
    mm_entry *e = NULL, *lru = &c->e[0];
    for (int i = 0; i < CACHE_SLOTS && !e; i++) {
        if (c->e[i].prim && same_key(&c->e[i].key, &k)) e = &c->e[i];
        else if (c->e[i].used < lru->used) lru = &c->e[i];
    }
    if (!e) {
        drop_entry(lru);
        if (!make_entry(lru, &k)) return false;
        e = lru;
    }
    e->used = ++c->clock;
    bool ok = dnnl_memory_set_data_handle(e->a, (void *)A) == dnnl_success &&
              dnnl_memory_set_data_handle(e->b, (void *)B) == dnnl_success &&
              dnnl_memory_set_data_handle(e->c, C) == dnnl_success;
    dnnl_exec_arg_t args[3] = {
        {DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->c}};
    ok = ok && dnnl_primitive_execute(e->prim, c->stream, 3, args) == dnnl_success;
    ok = ok && dnnl_stream_wait(c->stream) == dnnl_success;
    return ok;
}

/* ---- what runs here -------------------------------------------------------- */

bool nn_backend_has_bf16(void)
{
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
}

const char *nn_backend_isa_name(void)
{
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
    }
}

typedef struct cpu_features {
    bool avx2, fma, avx512f, avx512bw, avx512_vnni, avx512_bf16, avx512_fp16, avx_vnni, amx;
} cpu_features;

static cpu_features cpu_probe(void)
{
    cpu_features f = {0};
    __builtin_cpu_init();
    f.avx2 = __builtin_cpu_supports("avx2");
    f.fma = __builtin_cpu_supports("fma");
    f.avx512f = __builtin_cpu_supports("avx512f");
    f.avx512bw = __builtin_cpu_supports("avx512bw");
    unsigned a, b, c, d;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        f.avx512_vnni = f.avx512f && (c >> 11 & 1);
        f.avx512_fp16 = f.avx512f && (d >> 23 & 1);
        f.amx = (d >> 24 & 1) && (d >> 22 & 1); /* AMX-TILE, AMX-BF16 */
    }
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) {
        f.avx512_bf16 = f.avx512f && (a >> 5 & 1);
        f.avx_vnni = f.avx2 && (a >> 4 & 1);
    }
    return f;
}

bool nn_backend_avx512_vnni(void)
{
    static int cached = -1;
    if (cached < 0) {
        dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
        cached = (isa & dnnl_cpu_isa_avx512_core_vnni) == dnnl_cpu_isa_avx512_core_vnni;
    }
    return cached;
}

bool nn_backend_isa_limited(void)
{
    cpu_features f = cpu_probe();
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if (f.avx512f && f.avx512bw) return (isa & dnnl_cpu_isa_avx512_core) != dnnl_cpu_isa_avx512_core;
    if (f.avx2 && f.fma) return (isa & dnnl_cpu_isa_avx2) != dnnl_cpu_isa_avx2;
    return false;
}

static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10)) continue;
        const char *v = strchr(line, ':');
        if (!v) break;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        snprintf(buf, n, "%.*s", (int)strcspn(v, "\n"), v);
        break;
    }
    fclose(f);
}

void nn_backend_describe(char *buf, size_t n)
{
    const dnnl_version_t *v = dnnl_version();
    cpu_features f = cpu_probe();
    char model[160];
    cpu_model(model, sizeof model);
    char feats[160] = "";
    const struct { bool on; const char *name; } list[] = {
        {f.avx2, " avx2"}, {f.fma, " fma"}, {f.avx_vnni, " avx_vnni"}, {f.avx512f, " avx512f"},
        {f.avx512bw, " avx512bw"}, {f.avx512_vnni, " avx512_vnni"},
        {f.avx512_bf16, " avx512_bf16"}, {f.avx512_fp16, " avx512_fp16"}, {f.amx, " amx"}};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        if (list[i].on) strncat(feats, list[i].name, sizeof feats - strlen(feats) - 1);
    snprintf(buf, n, "oneDNN %d.%d.%d, ISA %s%s%s; CPU %s (%s)", v->major, v->minor, v->patch,
             nn_backend_isa_name(), nn_backend_has_bf16() ? ", bf16" : "",
             nn_backend_isa_limited() ? " (LIMITED below what the CPU has: ONEDNN_MAX_CPU_ISA?)"
                                      : "",
             model, feats[0] ? feats + 1 : "no AVX2");
}

void nn_backend_print(FILE *f, int threads)
{
    char d[512];
    nn_backend_describe(d, sizeof d);
    fprintf(f, "compute: %s, %d thread%s\n", d, threads, threads == 1 ? "" : "s");
}
