/* Per-thread scratch buffers for the ops' temporaries (im2col columns,
 * spectra). Allocating tens of megabytes afresh on every call costs more in
 * page faults than the arithmetic on them, so each thread keeps its buffers
 * and grows them as needed. Each op owns fixed slots, so ops that call one
 * another (conv1d -> conv1d_fft) never share one. Buffers are freed when the
 * thread exits, or now with nn_scratch_release(). */
#ifndef CV_NN_SCRATCH_H
#define CV_NN_SCRATCH_H

#include <stddef.h>

enum nn_scratch_slot {
    NN_SCRATCH_COLUMNS,   /* conv1d / conv_transpose1d columns */
    NN_SCRATCH_FFT_W,     /* conv1d_fft filter spectra */
    NN_SCRATCH_FFT_X,     /* conv1d_fft input spectra */
    NN_SCRATCH_FFT_Y,     /* conv1d_fft output spectra */
    NN_SCRATCH_ATTENTION, /* attention scores */
    NN_SCRATCH_BF16,      /* nn_gemm's activations rounded to bf16 */
    NN_SCRATCH_CONV_SRC,  /* conv1d_bf16: input in the primitive's layout */
    NN_SCRATCH_CONV_DST,  /* conv1d_bf16: output in the primitive's layout */
    NN_SCRATCH_CONV_W,    /* conv1d_bf16: weights in the primitive's layout */
    NN_SCRATCH_SLOTS
};

/* At least n floats for this thread's slot (contents undefined); NULL if
 * out of memory. Valid until the next call for the same slot. */
float *nn_scratch(enum nn_scratch_slot slot, size_t n);
/* Frees the calling thread's scratch buffers. */
void nn_scratch_release(void);

#endif
