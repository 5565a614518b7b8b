/* cosyvoice-bench-gemm: the GEMM libraries side by side on the shapes the
 * networks use, to choose nn's backend by measurement (docs/compute.md).
 *
 * Candidates, all single-threaded (nn splits the work itself, see
 * src/nn/parallel.h), measured in turns within one run (A B C A B C ...)
 * so a busy machine slows all of them alike; each figure is the best turn:
 *  - oneDNN dnnl_sgemm (the library nn links);
 *  - oneDNN matmul primitive, fp32 and bf16 (weights converted once, the
 *    activations on every call, as the engine would);
 *  - OpenBLAS cblas_sgemm as it detects this CPU, and with each core named
 *    by --openblas-core (a second copy loaded with dlmopen after setting
 *    OPENBLAS_CORETYPE, so both run in the same process);
 *  - BLIS bli_sgemm (loaded with dlopen when installed).
 * Every line of output names the CPU and the kernel each library picked. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "nn/backend.h"
#include "nn/bf16.h"

typedef struct shape {
    const char *what;
    int M, N, K; /* row-major C[M][N] = A[M][K] B[K][N] (A: weights) */
} shape;

/* CosyVoice-300M at full size: estimator on 2 s (B = 2, 172 frames each),
 * vocoder convolutions as nn_conv1d cuts them into column chunks, LM text
 * prefill, ONNX front end (speech tokenizer) and a square reference. */
static const shape SHAPES[] = {
    {"estimator qkv", 1536, 344, 256},
    {"estimator attn out", 256, 344, 512},
    {"estimator ff1", 1024, 344, 256},
    {"estimator ff2", 256, 344, 1024},
    {"estimator conv3 (skip)", 256, 344, 1536},
    {"vocoder conv k7 256ch", 256, 585, 1792},
    {"vocoder conv k11 128ch", 128, 744, 1408},
    {"vocoder fft mix 256ch (real form)", 512, 64, 512},
    {"LM prefill linear", 1024, 128, 1024},
    {"LM prefill ff", 4096, 128, 1024},
    {"front end linear", 1280, 200, 1280},
    {"square 1024", 1024, 1024, 1024},
};
#define N_SHAPES (int)(sizeof SHAPES / sizeof SHAPES[0])

typedef void (*sgemm_fn)(void *lib, const shape *s, const float *A, const float *B, float *C);

typedef struct candidate {
    char name[96];
    sgemm_fn run;
    void *lib;
    double best[N_SHAPES];
} candidate;

/* ---- OpenBLAS ------------------------------------------------------------ */
typedef struct openblas_lib {
    void (*sgemm)(int, int, int, int, int, int, float, const float *, int, const float *, int,
                  float, float *, int);
} openblas_lib;

static void run_openblas(void *lib, const shape *s, const float *A, const float *B, float *C)
{
    const openblas_lib *o = lib;
    enum { ROW_MAJOR = 101, NO_TRANS = 111 }; /* CBLAS's values */
    o->sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, s->M, s->N, s->K, 1.0f, A, s->K, B, s->N,
             0.0f, C, s->N);
}

/* A fresh copy of libopenblas in its own namespace, initialised with
 * OPENBLAS_CORETYPE=core (NULL: as it detects the CPU). */
static bool load_openblas(const char *core, candidate *c)
{
    if (core) setenv("OPENBLAS_CORETYPE", core, 1);
    else unsetenv("OPENBLAS_CORETYPE");
    void *h = dlmopen(LM_ID_NEWLM, "libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    unsetenv("OPENBLAS_CORETYPE");
    if (!h) {
        fprintf(stderr, "bench-gemm: OpenBLAS (%s): %s\n", core ? core : "auto", dlerror());
        return false;
    }
    openblas_lib *o = calloc(1, sizeof *o);
    *(void **)&o->sgemm = dlsym(h, "cblas_sgemm");
    void (*set_threads)(int);
    *(void **)&set_threads = dlsym(h, "openblas_set_num_threads");
    char *(*corename)(void);
    *(void **)&corename = dlsym(h, "openblas_get_corename");
    if (!o->sgemm || !set_threads || !corename) return false;
    set_threads(1);
    snprintf(c->name, sizeof c->name, "OpenBLAS sgemm, core %s%s", corename(),
             core ? " (forced)" : " (detected)");
    c->run = run_openblas;
    c->lib = o;
    return true;
}

/* ---- BLIS ------------------------------------------------------------------ */
typedef struct blis_lib {
    void (*sgemm)(int, int, long, long, long, const float *, const float *, long, long,
                  const float *, long, long, const float *, float *, long, long);
} blis_lib;

static void run_blis(void *lib, const shape *s, const float *A, const float *B, float *C)
{
    const blis_lib *b = lib;
    const float one = 1.0f, zero = 0.0f;
    /* BLIS_NO_TRANSPOSE = 0; row-major: row stride = ld, column stride = 1 */
    b->sgemm(0, 0, s->M, s->N, s->K, &one, A, s->K, 1, B, s->N, 1, &zero, C, s->N, 1);
}

static bool load_blis(candidate *c)
{
    void *h = dlopen("libblis.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) return false;
    blis_lib *b = calloc(1, sizeof *b);
    *(void **)&b->sgemm = dlsym(h, "bli_sgemm");
    void (*set_threads)(long);
    *(void **)&set_threads = dlsym(h, "bli_thread_set_num_threads");
    int (*arch_id)(void);
    *(void **)&arch_id = dlsym(h, "bli_arch_query_id");
    const char *(*arch_name)(int);
    *(void **)&arch_name = dlsym(h, "bli_arch_string");
    if (!b->sgemm || !set_threads || !arch_id || !arch_name) return false;
    set_threads(1);
    snprintf(c->name, sizeof c->name, "BLIS bli_sgemm, config %s", arch_name(arch_id()));
    c->run = run_blis;
    c->lib = b;
    return true;
}

/* ---- oneDNN ------------------------------------------------------------------ */
static void run_dnnl_sgemm(void *lib, const shape *s, const float *A, const float *B, float *C)
{
    (void)lib;
    nn_backend_sgemm(false, false, s->M, s->N, s->K, 1.0f, A, s->K, B, s->N, 0.0f, C, s->N);
}

/* bf16: the weights are converted once (here: on first use of the shape),
 * the activations B on every call. */
typedef struct bf16_lib {
    uint16_t *Ab[N_SHAPES], *Bb;
    const float *Asrc[N_SHAPES];
} bf16_lib;

static void run_dnnl_bf16(void *lib, const shape *s, const float *A, const float *B, float *C)
{
    bf16_lib *b = lib;
    int i = (int)(s - SHAPES);
    if (b->Asrc[i] != A) {
        free(b->Ab[i]);
        b->Ab[i] = malloc(sizeof(uint16_t) * s->M * s->K);
        nn_bf16_from_f32(A, b->Ab[i], (size_t)s->M * s->K);
        b->Asrc[i] = A;
    }
    nn_bf16_from_f32(B, b->Bb, (size_t)s->K * s->N);
    nn_backend_gemm_bf16(false, false, s->M, s->N, s->K, 1.0f, b->Ab[i], s->K, b->Bb, s->N,
                         0.0f, C, s->N);
}

int main(int argc, char **argv)
{
    int reps = 5;
    const char *cores[8];
    int n_cores = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--openblas-core") && i + 1 < argc && n_cores < 8)
            cores[n_cores++] = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--reps N] [--openblas-core NAME]...\n", argv[0]);
            return 2;
        }
    }
    if (reps < 1) return 2;
    char cpu[256];
    nn_backend_describe(cpu, sizeof cpu);
    printf("backend: %s\n", cpu);

    candidate cands[16];
    int nc = 0;
    snprintf(cands[nc].name, sizeof cands[nc].name, "oneDNN dnnl_sgemm, ISA %s",
             nn_backend_isa_name());
    cands[nc++].run = run_dnnl_sgemm;
    bf16_lib bl = {0};
    size_t maxkn = 0;
    for (int i = 0; i < N_SHAPES; i++)
        if ((size_t)SHAPES[i].K * SHAPES[i].N > maxkn) maxkn = (size_t)SHAPES[i].K * SHAPES[i].N;
    if (nn_backend_has_bf16()) {
        bl.Bb = malloc(sizeof(uint16_t) * maxkn);
        snprintf(cands[nc].name, sizeof cands[nc].name, "oneDNN matmul bf16, ISA %s",
                 nn_backend_isa_name());
        cands[nc].lib = &bl;
        cands[nc++].run = run_dnnl_bf16;
    }
    if (load_openblas(NULL, &cands[nc])) nc++;
    for (int i = 0; i < n_cores; i++)
        if (load_openblas(cores[i], &cands[nc])) nc++;
    if (load_blis(&cands[nc])) nc++;

    size_t maxa = 0, maxc = 0;
    for (int i = 0; i < N_SHAPES; i++) {
        if ((size_t)SHAPES[i].M * SHAPES[i].K > maxa) maxa = (size_t)SHAPES[i].M * SHAPES[i].K;
        if ((size_t)SHAPES[i].M * SHAPES[i].N > maxc) maxc = (size_t)SHAPES[i].M * SHAPES[i].N;
    }
    float *A = malloc(sizeof(float) * maxa), *B = malloc(sizeof(float) * maxkn),
          *C = malloc(sizeof(float) * maxc);
    for (size_t i = 0; i < maxa; i++) A[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < maxkn; i++) B[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;

    for (int s = 0; s < N_SHAPES; s++) {
        const shape *sh = &SHAPES[s];
        double flop = 2.0 * sh->M * sh->N * sh->K;
        /* enough calls per turn for ~20 ms of work at 100 GFLOP/s */
        int calls = (int)(2e9 / flop) + 1;
        for (int c = 0; c < nc; c++) {
            cands[c].run(cands[c].lib, sh, A, B, C); /* warm up, pack caches */
            cands[c].best[s] = 0;
        }
        for (int r = 0; r < reps; r++)
            for (int c = 0; c < nc; c++) {
                double t0 = cv_now();
                for (int k = 0; k < calls; k++) cands[c].run(cands[c].lib, sh, A, B, C);
                double g = flop * calls / (cv_now() - t0) / 1e9;
                if (g > cands[c].best[s]) cands[c].best[s] = g;
            }
    }
    printf("\nGFLOP/s, 1 thread, best of %d turns (candidates alternating)\n", reps);
    printf("%-36s %16s", "shape (M x N x K)", "");
    for (int c = 0; c < nc; c++) printf(" | [%c]", 'A' + c);
    printf("\n");
    for (int s = 0; s < N_SHAPES; s++) {
        char dims[32];
        snprintf(dims, sizeof dims, "%dx%dx%d", SHAPES[s].M, SHAPES[s].N, SHAPES[s].K);
        printf("%-36s %16s", SHAPES[s].what, dims);
        for (int c = 0; c < nc; c++) printf(" | %5.1f", cands[c].best[s]);
        printf("\n");
    }
    for (int c = 0; c < nc; c++) printf("[%c] %s\n", 'A' + c, cands[c].name);
    free(A), free(B), free(C);
    return 0;
}
