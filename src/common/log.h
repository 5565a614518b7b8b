/* Minimal leveled logging to stderr with a timestamp. Thread-safe: each line
 * is written with a single fprintf. Control characters in a message are
 * written escaped (\n, \x1b, \u0085...), so text from a request can
 * never forge a log line or reach a terminal raw. */
#ifndef CV_LOG_H
#define CV_LOG_H

typedef enum { CV_LOG_DEBUG, CV_LOG_INFO, CV_LOG_WARN, CV_LOG_ERROR } cv_log_level;

#include <stddef.h>

void cv_log_set_level(cv_log_level lvl);
/* Copies `in` to `out` (cap bytes, always NUL-terminated, cut at a whole
 * character) with C0 controls, DEL and C1 controls escaped. Returns the
 * length written. */
size_t cv_log_escape(const char *in, char *out, size_t cap);
void cv_log(cv_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_DEBUG(...) cv_log(CV_LOG_DEBUG, __VA_ARGS__)
#define LOG_INFO(...) cv_log(CV_LOG_INFO, __VA_ARGS__)
#define LOG_WARN(...) cv_log(CV_LOG_WARN, __VA_ARGS__)
#define LOG_ERROR(...) cv_log(CV_LOG_ERROR, __VA_ARGS__)

#endif
