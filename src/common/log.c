#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static cv_log_level g_level = CV_LOG_INFO;

void cv_log_set_level(cv_log_level lvl) { g_level = lvl; }

size_t cv_log_escape(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    if (cap == 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        char esc[8];
        size_t n = 0;
        unsigned c = *p;
        if (c == '\n' || c == '\r' || c == '\t') {
            esc[n++] = '\\';
            esc[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c == 0x7f) {
            esc[n++] = '\\';
            esc[n++] = 'x';
            esc[n++] = hex[c >> 4];
            esc[n++] = hex[c & 15];
        } else if (c == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            /* C1 controls (U+0080..U+009F): some terminals act on them too */
            unsigned cp = p[1];
            p++;
            esc[n++] = '\\';
            esc[n++] = 'u';
            esc[n++] = '0';
            esc[n++] = '0';
            esc[n++] = hex[cp >> 4];
            esc[n++] = hex[cp & 15];
        } else {
            esc[n++] = (char)c;
        }
        if (k + n >= cap)
            break;
        for (size_t i = 0; i < n; i++)
            out[k++] = esc[i];
    }
    out[k] = '\0';
    return k;
}

void cv_log(cv_log_level lvl, const char *fmt, ...)
{
    if (lvl < g_level)
        return;
    static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    char msg[2048], safe[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages carry request fields (speaker ids, texts, error details):
     * one line per message, whatever they hold. */
    cv_log_escape(msg, safe, sizeof safe);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
            names[lvl], safe);
}
