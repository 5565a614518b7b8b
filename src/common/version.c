#include "common/version.h"

#ifndef CV_PROJECT_VERSION
#error "CV_PROJECT_VERSION is defined by cmake/version.cmake"
#endif

const char *cv_version(void) { return CV_PROJECT_VERSION; }
