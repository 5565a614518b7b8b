#include "engine/versions.h"

#include <grpc/grpc.h>

#include "common/version.h"
#include "engine/espeak/espeak_backend.h"
#include "engine/espeak/flite_backend.h"
#include "nn/backend_version.h"

void cv_print_versions(FILE *out, const char *program)
{
    char backend[512];
    fprintf(out,
            "%s %s\n"
            "gRPC core %s\n"
            "compute backend: %s\n"
            "espeak-ng %s, flite %s\n",
            program, cv_version(), grpc_version_string(),
            nn_backend_version(backend, sizeof backend), espeak_backend_version(),
            flite_backend_version());
}
