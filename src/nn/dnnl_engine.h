/* The one oneDNN CPU engine of the process, for nn's own files that run
 * oneDNN primitives (backend.c's matmuls, conv_bf16.c's convolutions): an
 * engine holds the library's view of the CPU, so one is enough however many
 * primitive caches use it. Created on first use; NULL if oneDNN could not
 * make one (callers then take their float32 paths). Thread-safe. */
#ifndef CV_NN_DNNL_ENGINE_H
#define CV_NN_DNNL_ENGINE_H

#include <oneapi/dnnl/dnnl.h>

dnnl_engine_t nn_dnnl_engine(void);

#endif
