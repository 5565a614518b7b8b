#include "nn/conv_f64.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nn/parallel.h"

/* Output frames per piece: whole pieces of im2col columns, a few hundred
 * KB each, cut by the sizes alone. */
#define PIECE_FRAMES 256

typedef struct conv_job {
    const nn_conv1d_params *p;
    const double *x, *w, *b;
    double *y;
    int T, Tout;
    bool failed;
} conv_job;

static void conv_piece(void *ctx, int begin, int end)
{
    conv_job *j = ctx;
    const nn_conv1d_params *p = j->p;
    const int K = p->kernel, rows = p->cin * K;
    for (int t0 = begin * PIECE_FRAMES; t0 < end * PIECE_FRAMES && t0 < j->Tout;
         t0 += PIECE_FRAMES) {
        int n = j->Tout - t0 < PIECE_FRAMES ? j->Tout - t0 : PIECE_FRAMES;
        double *col = malloc((size_t)rows * n * sizeof *col);
        double *out = malloc((size_t)p->cout * n * sizeof *out);
        if (!col || !out) {
            free(col), free(out);
            j->failed = true;
            return;
        }
        for (int ci = 0; ci < p->cin; ci++)
            for (int k = 0; k < K; k++) {
                double *cr = col + ((size_t)ci * K + k) * n;
                const double *xr = j->x + (size_t)ci * j->T;
                for (int t = 0; t < n; t++) {
                    int s = (t0 + t) * p->stride + k * p->dilation - p->pad_left;
                    cr[t] = s >= 0 && s < j->T ? xr[s] : 0.0;
                }
            }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p->cout, n, rows, 1.0, j->w,
                    rows, col, n, 0.0, out, n);
        for (int c = 0; c < p->cout; c++) {
            double bias = j->b ? j->b[c] : 0.0;
            double *yr = j->y + (size_t)c * j->Tout + t0;
            const double *o = out + (size_t)c * n;
            /* the bias first, as torch's slow conv initialises its output */
            for (int t = 0; t < n; t++) yr[t] = bias + o[t];
        }
        free(col), free(out);
    }
}

/* OpenBLAS stays serial: the pieces are split over nn's threads, and a
 * product must not start threads of its own inside them. */
static pthread_once_t serial_once = PTHREAD_ONCE_INIT;
static void make_serial(void) { openblas_set_num_threads(1); }

bool nn_conv1d_f64(const nn_conv1d_params *p, const double *x, int T, const double *w,
                   const double *b, double *y)
{
    pthread_once(&serial_once, make_serial);
    if (p->cin < 1 || p->cout < 1 || p->kernel < 1 || p->stride < 1 || p->dilation < 1 ||
        p->groups != 1 || p->pad_left < 0 || p->pad_right < 0)
        return false;
    int Tout = nn_conv1d_out_len(p, T);
    if (Tout <= 0) return Tout == 0;
    conv_job j = {.p = p, .x = x, .w = w, .b = b, .y = y, .T = T, .Tout = Tout};
    int pieces = (Tout + PIECE_FRAMES - 1) / PIECE_FRAMES;
    nn_parallel_for(pieces, 1, conv_piece, &j);
    return !j.failed;
}

void nn_dgemm(int M, int N, int K, const double *A, const double *B, double *y,
              bool accumulate)
{
    if (M <= 0 || N <= 0 || K <= 0) return;
    pthread_once(&serial_once, make_serial);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0, A, K, B, N,
                accumulate ? 1.0 : 0.0, y, N);
}

void nn_elu_f64(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] <= 0.0) x[i] = exp(x[i]) - 1.0;
}
