/* logjoin.c - multi-line events for the awslogs driver (see logjoin.h).
 * It decides where events begin and end; batching and shipping are
 * logship.c's. */
#include "agent/logs/logjoin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/regex_guard.h"

/* strftime codes -> ERE pieces, after Docker's awslogs driver (its
 * strftimeToRegex table), rewritten for POSIX ERE: no "(?:", no "\d".
 * %e %k %l (space-padded day and hours) go beyond Docker's table. */
static const struct {
    char code;
    const char *re;
} datetime_codes[] = {
    {'a', "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)"},
    {'A', "(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"},
    {'b', "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"},
    {'B', "(January|February|March|April|May|June|July|August|September|October|November|December)"},
    {'d', "(0[1-9]|[12][0-9]|3[01])"},
    {'e', "( [1-9]|[12][0-9]|3[01])"},
    {'f', "[0-9]{6}"},
    {'H', "([01][0-9]|2[0-3])"},
    {'I', "(0[0-9]|1[0-2])"},
    {'j', "(0[0-9][1-9]|[12][0-9][0-9]|3[0-5][0-9]|36[0-6])"},
    {'k', "( [0-9]|1[0-9]|2[0-3])"},
    {'l', "( [0-9]|1[0-2])"},
    {'L', "\\.[0-9]{3}"},
    {'m', "(0[1-9]|1[0-2])"},
    {'M', "[0-5][0-9]"},
    {'p', "[AP]M"},
    {'S', "[0-5][0-9]"},
    {'w', "[0-6]"},
    {'y', "[0-9]{2}"},
    {'Y', "[0-9]{4}"},
    {'z', "[+-][0-9]{4}"},
    {'Z', "[A-Z]{1,4}T"},
    {'%', "%"},
};

static const char *datetime_piece(char code)
{
    for (size_t i = 0; i < ELEMENTSOF(datetime_codes); i++)
        if (datetime_codes[i].code == code)
            return datetime_codes[i].re;
    return NULL;
}

/* Append one character of a Go (RE2) pattern as POSIX ERE: "\d" and "\D"
 * (which glibc does not know) become classes, "(?:" a plain group.
 * Returns how many characters of p it used. */
static size_t append_re2_char(struct buf *re, const char *p)
{
    if (p[0] == '\\' && (p[1] == 'd' || p[1] == 'D')) {
        buf_append_str(re, p[1] == 'd' ? "[0-9]" : "[^0-9]");
        return 2;
    }
    if (p[0] == '(' && p[1] == '?' && p[2] == ':') {
        buf_append_char(re, '(');
        return 3;
    }
    if (p[0] == '\\' && p[1]) {
        buf_append(re, p, 2);
        return 2;
    }
    buf_append_char(re, p[0]);
    return 1;
}

int logjoin_datetime_regex(const char *fmt, char *buf, size_t cap, struct error *err)
{
    _cleanup_buf_ struct buf re = {0};
    buf_init(&re, cap - 1);
    buf_append_char(&re, '^');
    for (const char *p = fmt; *p && !re.failed;) { /* too long is told before a later bad code */
        if (*p != '%') {
            /* The rest of the format is a regular expression, as in Docker:
             * its documented "\[%b %d, %Y\]" escapes the brackets itself. */
            p += append_re2_char(&re, p);
            continue;
        }
        const char *piece = datetime_piece(p[1]);
        if (!piece)
            return error_set(err, ERR_INVALID, "awslogs-datetime-format: unsupported code %%%c", p[1] ? p[1] : ' ');
        buf_append_str(&re, piece);
        p += 2;
    }
    if (re.failed)
        return error_set(err, ERR_LIMIT, "awslogs-datetime-format is too long");
    memcpy(buf, re.data, re.len + 1);
    return 0;
}

int logjoin_pattern_regex(const char *pattern, char *buf, size_t cap, struct error *err)
{
    _cleanup_buf_ struct buf re = {0};
    buf_init(&re, cap - 1);
    for (const char *p = pattern; *p && !re.failed;)
        p += append_re2_char(&re, p);
    if (re.failed)
        return error_set(err, ERR_LIMIT, "awslogs-multiline-pattern is too long");
    memcpy(buf, re.data, re.len + 1);
    return 0;
}

static int compile(struct logjoin *j, const char *re, const char *option, struct error *err)
{
    /* Matched once per line, at most 4 KiB of it: glibc's regexec is
     * bounded once back-references and repetition blow-ups are refused. */
    if (regex_too_costly(re))
        return error_set(err, ERR_INVALID,
                         "bad multi-line pattern (from %s): back-references and repetition counts multiplying "
                         "past %d are not supported",
                         option, REGEX_REPEAT_PRODUCT_MAX);
    int rc = regcomp(&j->re, re, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[256];
        regerror(rc, &j->re, msg, sizeof(msg));
        return error_set(err, ERR_INVALID, "bad multi-line pattern (from %s): %s", option, msg);
    }
    j->have_re = true;
    return 0;
}

int logjoin_init(struct logjoin *j, const char *datetime_format, const char *pattern, size_t max_len, struct error *err)
{
    memset(j, 0, sizeof(*j));
    j->max_len = max_len;
    buf_init(&j->buf, max_len);
    char re[4096];
    if (datetime_format && *datetime_format) {
        if (logjoin_datetime_regex(datetime_format, re, sizeof(re), err) < 0)
            return -1;
        return compile(j, re, "awslogs-datetime-format", err);
    }
    if (pattern && *pattern) {
        if (logjoin_pattern_regex(pattern, re, sizeof(re), err) < 0)
            return -1;
        return compile(j, re, "awslogs-multiline-pattern", err);
    }
    return 0;
}

void logjoin_free(struct logjoin *j)
{
    if (j->have_re)
        regfree(&j->re);
    j->have_re = false;
    buf_free(&j->buf);
    j->pending = false;
}

int logjoin_flush(struct logjoin *j, struct logjoin_event *ret)
{
    if (!j->pending)
        return 0;
    ret->ts_ms = j->ts_ms;
    ret->start_off = j->start_off;
    ret->end_off = j->end_off;
    ret->msg = buf_steal(&j->buf, &ret->len);
    j->pending = false;
    return 1;
}

static int append(struct logjoin *j, const char *s, size_t len, struct error *err)
{
    if (buf_append(&j->buf, s, len) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

static int start(struct logjoin *j, const char *line, size_t len, int64_t ts_ms, uint64_t start_off, uint64_t end_off,
                 struct error *err)
{
    j->pending = true;
    buf_reset(&j->buf);
    j->ts_ms = ts_ms;
    j->start_off = start_off;
    j->end_off = end_off;
    return append(j, line, len > j->max_len ? j->max_len : len, err);
}

int logjoin_feed(struct logjoin *j, const char *line, size_t len, int64_t ts_ms, uint64_t start_off, uint64_t end_off,
                 bool force_new, struct logjoin_event *ret, struct error *err)
{
    if (!j->have_re) {
        /* One line, one event, in a block of its own size: the queue
         * frees 10,000 of them at a time, and glibc frees small ones fast
         * (a joining buffer's 256 bytes went through the slow path). */
        size_t n = len > j->max_len ? j->max_len : len;
        char *msg = malloc(n + 1);
        if (!msg)
            return error_set(err, ERR_INTERNAL, "out of memory");
        memcpy(msg, line, n);
        msg[n] = '\0';
        *ret = (struct logjoin_event){.msg = msg, .len = n, .ts_ms = ts_ms, .start_off = start_off, .end_off = end_off};
        return 1;
    }
    bool begins = force_new || !j->pending;
    if (!begins) {
        /* regexec wants a C string; lines are short, copy to a bounded
         * buffer (a match is decided by a line's beginning anyway for
         * datetime formats; patterns see at most 4 KiB). */
        char tmp[4096];
        size_t l = len < sizeof(tmp) - 1 ? len : sizeof(tmp) - 1;
        memcpy(tmp, line, l);
        tmp[l] = '\0';
        begins = regexec(&j->re, tmp, 0, NULL, 0) == 0;
    }
    /* An event that would outgrow max_len is ended too. */
    if (!begins && j->buf.len + 1 + len > j->max_len)
        begins = true;
    if (begins) {
        int r = logjoin_flush(j, ret);
        if (start(j, line, len, ts_ms, start_off, end_off, err) < 0) {
            if (r)
                free(ret->msg);
            return -1;
        }
        return r;
    }
    if (append(j, "\n", 1, err) < 0 || append(j, line, len, err) < 0)
        return -1;
    j->end_off = end_off;
    return 0;
}
