/* Minimal leveled logging to stderr with a timestamp. Thread-safe: each line
 * is written with a single fprintf. */
#ifndef CV_LOG_H
#define CV_LOG_H

typedef enum { CV_LOG_DEBUG, CV_LOG_INFO, CV_LOG_WARN, CV_LOG_ERROR } cv_log_level;

void cv_log_set_level(cv_log_level lvl);
void cv_log(cv_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_DEBUG(...) cv_log(CV_LOG_DEBUG, __VA_ARGS__)
#define LOG_INFO(...) cv_log(CV_LOG_INFO, __VA_ARGS__)
#define LOG_WARN(...) cv_log(CV_LOG_WARN, __VA_ARGS__)
#define LOG_ERROR(...) cv_log(CV_LOG_ERROR, __VA_ARGS__)

#endif
