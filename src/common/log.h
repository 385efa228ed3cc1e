/* log.h - one-line logging to stderr with a level and a timestamp, as text
 * or as one JSON object a line ({"time","level","msg"}). */
#pragma once

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
