/* The compute library under nn: oneDNN (Debian libdnnl-dev), chosen by
 * measurement over OpenBLAS and BLIS on the networks' own shapes
 * (docs/compute.md). oneDNN picks its kernels at run time from the CPU's
 * ISA features (CPUID), never from a list of model numbers, so a CPU newer
 * than the library still gets its AVX2 / AVX-512 / AMX code; OpenBLAS 0.3.21
 * falls back to SSE3 kernels on CPUs it does not know.
 *
 * Every call here runs on the calling thread only: nn splits the work
 * itself into pieces that depend only on the problem (src/nn/parallel.h),
 * and the library computes a given piece the same way whichever thread
 * runs it, which is what makes results independent of threads and load.
 *
 * ONEDNN_MAX_CPU_ISA (e.g. AVX2) limits the ISA, as oneDNN documents; the
 * tests run the neural suites a second time that way. */
#ifndef CV_NN_BACKEND_H
#define CV_NN_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Row-major C[M][N] = alpha op(A) op(B) + beta C on the calling thread,
 * op(A) = A^T (A stored [K][M]) when trans_a; same for B. */
void nn_backend_sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb, float beta, float *C,
                      int ldc);

/* The same with bfloat16 A and B (nn/bf16.h) and float32 C, accumulated in
 * float32. Only when nn_backend_has_bf16(); false on failure (C untouched
 * or partly written: the caller reports an error). */
bool nn_backend_gemm_bf16(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                          const uint16_t *A, int lda, const uint16_t *B, int ldb, float beta,
                          float *C, int ldc);

/* Whether the library can run here: oneDNN generates its kernels at run
 * time, which a process denied executable memory (systemd's
 * MemoryDenyWriteExecute=yes, SELinux execmem) cannot do. false with a
 * message a person can act on in why. */
bool nn_backend_check(char *why, size_t n);

/* The CPU has native bf16 dot products (AVX512_BF16 or AMX) and the ISA
 * limit allows them. */
bool nn_backend_has_bf16(void);

/* The ISA oneDNN's kernels use here, e.g. "avx512_core_bf16", "avx2". */
const char *nn_backend_isa_name(void);

/* One line for logs and benchmarks: library and version, ISA in use, the
 * CPU's model name and its relevant ISA features, and a warning when the
 * kernels in use are narrower than AVX2 on a CPU that has AVX2. */
void nn_backend_describe(char *buf, size_t n);

/* Whether nn's own kernels (src/nn/matvec.c) may use AVX-512 with VNNI:
 * the CPU has it and the ISA limit (ONEDNN_MAX_CPU_ISA) allows it, so one
 * knob limits both the library and nn's kernels. */
bool nn_backend_avx512_vnni(void);

/* "compute: <describe>, N threads" on its own line, for benchmarks. */
void nn_backend_print(FILE *f, int threads);

/* true when the kernels run below the widest ISA class the CPU offers
 * for fp32 (AVX2 on an AVX2 CPU, AVX-512 on an AVX-512 one), e.g. because
 * of ONEDNN_MAX_CPU_ISA. */
bool nn_backend_isa_limited(void);

#endif
