/* logjoin.h - the awslogs driver's multi-line joiner.  With
 * awslogs-datetime-format or awslogs-multiline-pattern a line that matches
 * starts a new event and the lines after it that do not match are added to
 * it (joined with '\n'); without either, every line is an event.  Pure: the
 * caller feeds lines and takes the events out. */
#pragma once

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

struct logjoin_event {
    char *msg; /* malloc'd, NUL-terminated; the caller owns it */
    size_t len;
    int64_t ts_ms;      /* the first line's time */
    uint64_t start_off; /* the log file bytes the event came from */
    uint64_t end_off;
};

struct logjoin {
    bool have_re;
    regex_t re;
    size_t max_len; /* an event longer than this is cut */
    /* the event being collected */
    bool pending;
    struct buf buf; /* its message, at most max_len bytes */
    int64_t ts_ms;
    uint64_t start_off, end_off;
};

/* Translate an awslogs-datetime-format into an anchored POSIX ERE, as
 * Docker's awslogs driver does: strftime codes (%a %A %b %B %d %e %f %H %I
 * %j %k %l %L %m %M %p %S %w %y %Y %z %Z %%) become pieces of regular
 * expression and the rest of the format is passed through as regular
 * expression (so "\[%b %d\]" matches "[Nov 22]").  Unknown % codes are an
 * error.  buf gets at most cap bytes with its NUL. */
int logjoin_datetime_regex(const char *fmt, char *buf, size_t cap, struct error *err);

/* An awslogs-multiline-pattern (Go RE2 syntax in Docker) as POSIX ERE:
 * "\d", "\D" and "(?:" are rewritten, the rest passes through. */
int logjoin_pattern_regex(const char *pattern, char *buf, size_t cap, struct error *err);

/* Set j up.  datetime_format and pattern may be NULL; datetime_format wins
 * when both are set (as in Docker).  max_len: longest event message. */
int logjoin_init(struct logjoin *j, const char *datetime_format, const char *pattern, size_t max_len,
                 struct error *err);
void logjoin_free(struct logjoin *j);

/* Whether j joins lines at all (otherwise every line is an event). */
static inline bool logjoin_multiline(const struct logjoin *j) { return j->have_re; }

/* Feed one whole line of text (no newline) that came from log file bytes
 * [start_off, end_off).  force_new: start a new event here whatever the
 * line says.  Returns 1 with *ret filled when an event is complete, 0 when
 * not, -1 on allocation failure. */
int logjoin_feed(struct logjoin *j, const char *line, size_t len, int64_t ts_ms, uint64_t start_off, uint64_t end_off,
                 bool force_new, struct logjoin_event *ret, struct error *err);

/* Hand out the event being collected, if any (1), else 0. */
int logjoin_flush(struct logjoin *j, struct logjoin_event *ret);
