/* Where an installed program finds the project's data files: beside its own
 * executable, <prefix>/bin/PROGRAM -> <prefix>/share/cosyvoice-c. Looking
 * there, and not only under the prefix compiled in, makes an installation
 * relocatable: `make install PREFIX=...` into another prefix than the build
 * was configured with, a DESTDIR staging tree, and the Debian package (/usr,
 * built from a /usr/local build) all find their own files, and never a
 * source tree's. */
#ifndef CV_DATADIR_H
#define CV_DATADIR_H

#include <stdbool.h>
#include <stddef.h>

#define CV_DATA_SUBDIR "cosyvoice-c"

/* The data directory belonging to an executable at exe_path (absolute): if
 * the file lies in a directory named "bin", that directory's parent +
 * "/share/cosyvoice-c". False (out empty) otherwise, or if it does not fit.
 * Only computes the name; does not look at the file system. */
bool cv_datadir_for_exe(const char *exe_path, char *out, size_t cap);

/* The same for the running program (/proc/self/exe), if that directory
 * exists; NULL otherwise (a build-tree program, for one). Thread-safe;
 * computed once. */
const char *cv_installed_datadir(void);

#endif
