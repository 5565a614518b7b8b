#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static cv_log_level g_level = CV_LOG_INFO;

void cv_log_set_level(cv_log_level lvl) { g_level = lvl; }

void cv_log(cv_log_level lvl, const char *fmt, ...)
{
    if (lvl < g_level)
        return;
    static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
            names[lvl], msg);
}
