/* A Whisper-style speech-tokenizer graph built with onnx_build at any size,
 * random weights: conv stem (k3, then k3 stride 2) with GELU, sinusoid-free
 * learned positions, pre-LN transformer blocks, final LayerNorm, then the
 * nearest-codebook lookup on L2-normalised frames (ArgMax of negated squared
 * distances), with the same inputs/outputs as speech_tokenizer_v1.onnx
 * (feats [1,128,T] float, feats_length [1] int32 -> indices [1,N] int32,
 * indices_length). Lengths are dynamic. */
#ifndef CV_BENCH_TOKENIZER_GRAPH_H
#define CV_BENCH_TOKENIZER_GRAPH_H

typedef struct tokenizer_dims {
    int n_mels, width, heads, layers, codebook, max_frames;
} tokenizer_dims;

/* Writes the model to path; 0 on success. */
int tokenizer_graph_write(const tokenizer_dims *d, unsigned seed, const char *path);

#endif
