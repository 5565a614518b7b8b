#include "nn/backend_version.h"

#include <cblas.h>
#include <fftw3.h>
#include <stdio.h>

const char *nn_backend_version(char *buf, size_t cap)
{
    /* openblas_get_config(): "OpenBLAS X.Y.Z", the build options and the
     * kernel set chosen for this CPU (DYNAMIC_ARCH builds pick it at load). */
    snprintf(buf, cap, "%s; FFTW %s", openblas_get_config(), fftwf_version);
    return buf;
}
