/* Which compute libraries the tensor core runs on, and their versions, for
 * --version and bug reports. The backend owns this function: a change that
 * switches or adds a backend (oneDNN, BLIS, ...) updates it here, and every
 * program's version report follows. */
#ifndef CV_NN_BACKEND_VERSION_H
#define CV_NN_BACKEND_VERSION_H

#include <stddef.h>

/* One line, no newline, of the libraries as loaded at run time (the shared
 * libraries' own version strings, not the headers compiled against), e.g.
 * "oneDNN 2.6.3 (ISA avx512_core_bf16, OpenMP); FFTW fftw-3.3.10-...".
 * Truncated to fit cap; returns buf. */
const char *nn_backend_version(char *buf, size_t cap);

#endif
