/* log.c - stderr logging.  The level and format are process-wide
 * configuration set once at start-up, the deliberate globals.  Escaping
 * happens here, once, on the whole formatted line: callers log request and
 * container text as they get it. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/jsonenc.h"
#include "common/timeutil.h"

static enum log_level min_level = LOG_INFO;
static enum log_format format = LOG_FORMAT_TEXT;

static const char *const level_names[] = {
    [LOG_DEBUG] = "debug", [LOG_INFO] = "info", [LOG_WARN] = "warn", [LOG_ERROR] = "error"};

void log_set_level(enum log_level level) { min_level = level; }

void log_set_format(enum log_format f) { format = f; }

int log_parse_format(const char *name, enum log_format *ret_format)
{
    if (strcmp(name, "text") == 0)
        *ret_format = LOG_FORMAT_TEXT;
    else if (strcmp(name, "json") == 0)
        *ret_format = LOG_FORMAT_JSON;
    else
        return -1;
    return 0;
}

/* {"time":..., "level":..., "msg":...}: a collector's field names. */
static void print_json(const char *stamp, long ms, enum log_level level, const char *line)
{
    char msg[2048 * 6 + 1]; /* a byte escapes to at most 6 ("\u001f") */
    size_t n = strlen(line);
    if (jsonenc_string_size(line, n) - 2 >= sizeof(msg))
        n = 0;
    msg[jsonenc_escape(line, n, msg)] = '\0';
    fprintf(stderr, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"%s\"}\n", stamp, ms, level_names[level], msg);
}

int log_parse_level(const char *name, enum log_level *ret_level)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *ret_level = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    struct timespec ts;
    struct tm tm;
    char stamp[32];
    char line[2048];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char safe[sizeof(line) * 4];
    log_escape(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, safe, sizeof(safe));
    /* One fprintf per line keeps lines from threads whole. */
    if (format == LOG_FORMAT_JSON)
        print_json(stamp, ts.tv_nsec / 1000000, level, line); /* JSON escapes control characters itself */
    else
        fprintf(stderr, "%s.%03ldZ %-5s %s\n", stamp, ts.tv_nsec / 1000000, level_names[level], safe);
}

size_t log_escape(const char *s, size_t n, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[4];
        size_t len = 0;
        if (c >= 0x20 && c != 0x7f) {
            esc[len++] = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[len++] = '\\';
            esc[len++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else {
            esc[len++] = '\\';
            esc[len++] = 'x';
            esc[len++] = hex[c >> 4];
            esc[len++] = hex[c & 15];
        }
        if (o + len >= cap)
            break;
        memcpy(out + o, esc, len);
        o += len;
    }
    out[o] = '\0';
    return o;
}

bool log_ratelimit_pass(struct log_ratelimit *rl, int64_t interval_usec, unsigned long *ret_suppressed)
{
    usec_t now = time_monotonic();
    bool pass = false;
    pthread_mutex_lock(&rl->lock);
    if (rl->last_usec == 0 || now - rl->last_usec >= interval_usec) {
        pass = true;
        rl->last_usec = now;
        *ret_suppressed = rl->suppressed;
        rl->suppressed = 0;
    } else {
        rl->suppressed++;
    }
    pthread_mutex_unlock(&rl->lock);
    return pass;
}
