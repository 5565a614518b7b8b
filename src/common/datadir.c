#include "common/datadir.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool cv_datadir_for_exe(const char *exe_path, char *out, size_t cap)
{
    if (cap) out[0] = '\0';
    const char *slash = exe_path ? strrchr(exe_path, '/') : NULL;
    if (!slash || exe_path[0] != '/')
        return false;
    /* [exe_path, slash) is the directory; it must end in "/bin". */
    size_t dir_len = (size_t)(slash - exe_path);
    if (dir_len < 4 || memcmp(slash - 4, "/bin", 4) != 0)
        return false;
    size_t prefix_len = dir_len - 4; /* "" for /bin/PROGRAM: prefix is / */
    int n = snprintf(out, cap, "%.*s/share/" CV_DATA_SUBDIR, (int)prefix_len, exe_path);
    if (n < 0 || (size_t)n >= cap) {
        if (cap) out[0] = '\0';
        return false;
    }
    return true;
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static char g_dir[PATH_MAX];
static bool g_found;

static void find_once(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    struct stat sb;
    g_found = cv_datadir_for_exe(exe, g_dir, sizeof g_dir) && stat(g_dir, &sb) == 0 &&
              S_ISDIR(sb.st_mode);
}

const char *cv_installed_datadir(void)
{
    pthread_once(&g_once, find_once);
    return g_found ? g_dir : NULL;
}
