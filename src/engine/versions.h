/* The --version report of the server and the client: the project version
 * and the versions of the libraries doing the work as loaded at run time,
 * gRPC (transport), the compute backend of the neural engine
 * (nn_backend_version, owned by src/nn) and espeak-ng/flite (the default
 * engine), so a bug report names what actually ran. */
#ifndef CV_ENGINE_VERSIONS_H
#define CV_ENGINE_VERSIONS_H

#include <stdio.h>

/* First line "PROGRAM VERSION" (the form help2man and packagers expect),
 * then one line per library. */
void cv_print_versions(FILE *out, const char *program);

#endif
