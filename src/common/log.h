/* log.h - one-line logging to stderr with a level and a timestamp, as text
 * or as one JSON object a line ({"time","level","msg"}).
 *
 * Every line is one line: control characters in the formatted text (a
 * newline or an escape sequence in a request's field, a container's
 * output) are written escaped, so no caller has to escape what it logs and
 * nobody can forge a log entry. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

void log_set_level(enum log_level level);
void log_set_format(enum log_format format);
/* Parse "text|json"; returns -1 on unknown names. */
int log_parse_format(const char *name, enum log_format *ret_format);
/* Parse "debug|info|warn|error"; returns -1 on unknown names. */
int log_parse_level(const char *name, enum log_level *ret_level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* Copy the first n bytes of s into out (cap bytes, NUL-terminated,
 * truncated to fit): C0 control characters and DEL become \n, \r, \t or
 * \xHH; everything else, UTF-8 included, is copied.  Returns the length
 * written. */
size_t log_escape(const char *s, size_t n, char *out, size_t cap);

/* At most one line per interval for a message that can repeat without end
 * (accept() failing at fd exhaustion): log_ratelimit_pass() says whether
 * to log now and, if so, how many lines were held back since the last.
 * Initialise with LOG_RATELIMIT_INIT. */
struct log_ratelimit {
    pthread_mutex_t lock;
    int64_t last_usec; /* monotonic, of the last line let through */
    unsigned long suppressed;
};
#define LOG_RATELIMIT_INIT                                                                                             \
    {                                                                                                                  \
        PTHREAD_MUTEX_INITIALIZER, 0, 0                                                                                \
    }
bool log_ratelimit_pass(struct log_ratelimit *rl, int64_t interval_usec, unsigned long *ret_suppressed);
