#include "model/family.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    cv_family family;
    const char *name, *yaml;
} FAMILIES[] = {
    {CV_FAMILY_V1, "CosyVoice-300M", "cosyvoice.yaml"},
    {CV_FAMILY_V2, "CosyVoice2-0.5B", "cosyvoice2.yaml"},
    {CV_FAMILY_V3, "Fun-CosyVoice3-0.5B", "cosyvoice3.yaml"},
};
#define N_FAMILIES (sizeof FAMILIES / sizeof FAMILIES[0])

const char *cv_family_name(cv_family f)
{
    for (size_t i = 0; i < N_FAMILIES; i++)
        if (FAMILIES[i].family == f) return FAMILIES[i].name;
    return "unknown";
}

const char *cv_family_yaml(cv_family f)
{
    for (size_t i = 0; i < N_FAMILIES; i++)
        if (FAMILIES[i].family == f) return FAMILIES[i].yaml;
    return NULL;
}

cv_status cv_family_detect(const char *dir, cv_family *family, char *yaml_path, size_t cap)
{
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return cv_error(errno == ENOENT ? CV_NOT_FOUND : CV_INVALID_ARGUMENT, "model directory %s: %s",
                        dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return cv_error(CV_INVALID_ARGUMENT, "model directory %s is not a directory", dir);
    int found = -1;
    for (size_t i = 0; i < N_FAMILIES; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, FAMILIES[i].yaml);
        if (access(path, F_OK) != 0) continue;
        if (found >= 0)
            return cv_error(CV_INVALID_ARGUMENT,
                            "%s holds both %s and %s: keep the one of the model you mean", dir,
                            FAMILIES[found].yaml, FAMILIES[i].yaml);
        found = (int)i;
    }
    if (found < 0)
        return cv_error(CV_INVALID_ARGUMENT,
                        "%s is not a CosyVoice model directory: no cosyvoice.yaml, "
                        "cosyvoice2.yaml or cosyvoice3.yaml in it",
                        dir);
    *family = FAMILIES[found].family;
    snprintf(yaml_path, cap, "%s/%s", dir, FAMILIES[found].yaml);
    return cv_ok();
}
