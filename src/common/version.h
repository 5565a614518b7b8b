/* The project's version. It is set in one place, CMakeLists.txt's
 * project(... VERSION), and compiled into version.c only, so --version, the
 * man pages and the Debian package always say the same. */
#ifndef CV_VERSION_H
#define CV_VERSION_H

/* "MAJOR.MINOR.PATCH". */
const char *cv_version(void);

#endif
