#include "common/pem_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEM_MAX_BYTES (1u << 20) /* certificate bundles are far smaller */

cv_status pem_file_read(const char *option, const char *path, const char *marker, char **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return cv_error(CV_INVALID_ARGUMENT, "cannot read %s file '%s': %s", option, path,
                        strerror(errno));
    char *buf = malloc(PEM_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory reading '%s'", path);
    }
    size_t len = fread(buf, 1, PEM_MAX_BYTES + 1, f);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (err || len > PEM_MAX_BYTES) {
        free(buf);
        return err ? cv_error(CV_INVALID_ARGUMENT, "cannot read %s file '%s': %s", option, path,
                              strerror(err))
                   : cv_error(CV_INVALID_ARGUMENT, "%s file '%s' is larger than %u bytes",
                              option, path, PEM_MAX_BYTES);
    }
    buf[len] = '\0';
    if (strlen(buf) != len || !strstr(buf, marker)) {
        free(buf);
        return cv_error(CV_INVALID_ARGUMENT, "%s file '%s' is not PEM (no '%s' block)", option,
                        path, marker);
    }
    *out = buf;
    return cv_ok();
}
