#include "nn/backend_version.h"

#include <fftw3.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>

#include "nn/backend.h"

const char *nn_backend_version(char *buf, size_t cap)
{
    /* dnnl_version() is the loaded library's own; the ISA is what its
     * kernels use on this CPU (chosen at load from the CPUID features) */
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, cap, "oneDNN %d.%d.%d (ISA %s, %s); FFTW %s", v->major, v->minor, v->patch,
             nn_backend_isa_name(),
             v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other CPU runtime", fftwf_version);
    return buf;
}
