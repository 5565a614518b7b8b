#include "server/fd_budget.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/resource.h>

#include "common/log.h"

long fd_limit_raise(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0)
        return -1;
    if (r.rlim_cur < r.rlim_max) {
        struct rlimit want = {r.rlim_max, r.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            r.rlim_cur = r.rlim_max;
    }
    long soft = r.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)r.rlim_cur;
    LOG_INFO("file descriptor limit (RLIMIT_NOFILE): %ld", soft);
    return soft;
}

int fd_open_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n - 3; /* ".", ".." and the directory's own descriptor */
}

int fd_budget_connections(int other, bool explicit, int *max)
{
    struct rlimit r;
    int open_now = fd_open_count();
    if (getrlimit(RLIMIT_NOFILE, &r) != 0 || open_now < 0)
        return 0; /* cannot tell: keep the configured limit */
    long soft = r.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)r.rlim_cur;
    long room = soft - open_now - FD_RESERVE - other;
    if (*max <= room)
        return 0;
    if (explicit || room < 4) {
        fprintf(stderr,
                "cosyvoice-server: --max-connections %d needs %ld file descriptors (%d open "
                "now, %d for other listeners, %d kept in reserve), but RLIMIT_NOFILE is %ld: "
                "raise it (ulimit -n, systemd LimitNOFILE=) or lower --max-connections\n",
                explicit ? *max : 4, (long)(explicit ? *max : 4) + open_now + other + FD_RESERVE,
                open_now, other, FD_RESERVE, soft);
        return -1;
    }
    LOG_WARN("RLIMIT_NOFILE %ld leaves room for %ld gRPC connections (%d descriptors open, "
             "%d for other listeners, %d in reserve): --max-connections lowered from %d; raise "
             "the limit (ulimit -n, systemd LimitNOFILE=) to allow more",
             soft, room, open_now, other, FD_RESERVE, *max);
    *max = (int)room;
    return 0;
}
