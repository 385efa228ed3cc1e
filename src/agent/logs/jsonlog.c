/* jsonlog.c - Docker's json-file format and rotation (see jsonlog.h).  It
 * writes what it is given; reading conmon's log is logship.c's job. */
#include "agent/logs/jsonlog.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/jsonenc.h"

int jsonlog_parse_size(const char *s, int64_t *ret, struct error *err)
{
    static const struct {
        const char *unit;
        int64_t mult;
    } units[] = {
        {"", 1},           {"b", 1},           {"k", 1LL << 10},
        {"kb", 1LL << 10}, {"kib", 1LL << 10}, {"m", 1LL << 20},
        {"mb", 1LL << 20}, {"mib", 1LL << 20}, {"g", 1LL << 30},
        {"gb", 1LL << 30}, {"gib", 1LL << 30},
    };
    char *end = NULL;
    if (!s || !isdigit((unsigned char)*s))
        return error_set(err, ERR_INVALID, "invalid size");
    errno = 0;
    double v = strtod(s, &end);
    if (errno || v < 0)
        return error_set(err, ERR_INVALID, "invalid size");
    for (size_t i = 0; i < ELEMENTSOF(units); i++) {
        if (strcasecmp(end, units[i].unit) == 0) {
            double b = v * (double)units[i].mult;
            if (b > 9e18)
                return error_set(err, ERR_INVALID, "size too large");
            *ret = (int64_t)b;
            return 0;
        }
    }
    return error_set(err, ERR_INVALID, "invalid size");
}

/* JSON string body of s (no quotes); -1 when out of room. */
static ssize_t escape(const char *s, size_t len, char *buf, size_t cap)
{
    if (jsonenc_string_size(s, len) - 2 >= cap)
        return -1;
    return (ssize_t)jsonenc_escape(s, len, buf);
}

ssize_t jsonlog_encode(const char *text, size_t len, bool newline, bool is_stderr, const char *time, size_t time_len,
                       char *buf, size_t cap)
{
    size_t n = 0;
#define PUTS(s, l)                                                                                                     \
    do {                                                                                                               \
        if (n + (l) >= cap)                                                                                            \
            return -1;                                                                                                 \
        memcpy(buf + n, s, l);                                                                                         \
        n += (l);                                                                                                      \
    } while (0)
    PUTS("{\"log\":\"", 8);
    ssize_t e = escape(text, len, buf + n, cap - n);
    if (e < 0)
        return -1;
    n += (size_t)e;
    if (newline)
        PUTS("\\n", 2);
    const char *stream = is_stderr ? "\",\"stream\":\"stderr\",\"time\":\"" : "\",\"stream\":\"stdout\",\"time\":\"";
    PUTS(stream, strlen(stream));
    /* Docker writes UTC with a Z; conmon may write +00:00. */
    size_t tl = time_len;
    bool utc_offset = tl > 6 && (memcmp(time + tl - 6, "+00:00", 6) == 0 || memcmp(time + tl - 6, "-00:00", 6) == 0);
    if (utc_offset)
        tl -= 6;
    PUTS(time, tl);
    if (utc_offset)
        PUTS("Z", 1);
    PUTS("\"}\n", 3);
#undef PUTS
    buf[n] = '\0';
    return (ssize_t)n;
}

int jsonlog_open(struct jsonlog_writer *w, const char *path, int64_t max_size, int max_file, struct error *err)
{
    memset(w, 0, sizeof(*w));
    w->fd = -1;
    if (snprintf(w->path, sizeof(w->path), "%s", path) >= (int)sizeof(w->path))
        return error_set(err, ERR_LIMIT, "path too long: %s", path);
    w->max_size = max_size;
    w->max_file = max_file < 1 ? 1 : max_file;
    w->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (w->fd < 0)
        return error_sys(err, "open %s", path);
    struct stat st;
    if (fstat(w->fd, &st) < 0)
        return error_sys(err, "stat %s", path);
    w->size = st.st_size;
    return 0;
}

/* file.N-1 -> file.N ... file -> file.1, then a fresh file; with max-file 1
 * the file is truncated (as Docker does). */
static int rotate(struct jsonlog_writer *w, struct error *err)
{
    char from[4200], to[4200];
    if (w->max_file > 1) {
        for (int i = w->max_file - 1; i >= 1; i--) {
            snprintf(to, sizeof(to), "%s.%d", w->path, i);
            if (i == 1)
                snprintf(from, sizeof(from), "%s", w->path);
            else
                snprintf(from, sizeof(from), "%s.%d", w->path, i - 1);
            if (rename(from, to) < 0 && errno != ENOENT)
                return error_sys(err, "rename %s", from);
        }
        close(w->fd);
        w->fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0640);
        if (w->fd < 0)
            return error_sys(err, "open %s", w->path);
    } else if (ftruncate(w->fd, 0) < 0) {
        return error_sys(err, "truncate %s", w->path);
    }
    w->size = 0;
    return 0;
}

int jsonlog_write(struct jsonlog_writer *w, const char *line, size_t len, struct error *err)
{
    if (w->max_size > 0 && w->size > 0 && w->size + (int64_t)len > w->max_size && rotate(w, err) < 0)
        return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(w->fd, line + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return error_sys(err, "write %s", w->path);
        done += (size_t)n;
    }
    w->size += (int64_t)len;
    return 0;
}

void jsonlog_close(struct jsonlog_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}
