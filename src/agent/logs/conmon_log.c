/* conmon_log.c - parse conmon's k8s-file records (see conmon_log.h).  Used by the
 * log shipper and `berth logs`; it reads nothing itself. */
#include "agent/logs/conmon_log.h"

#include <string.h>

#include "common/isodate.h"

#define STAMP_MAX 64

/* The last stamp's whole seconds: conmon writes a million records within
 * a few seconds, and parsing each stamp's date and time in full was the
 * largest part of the shipper's work a record.  Per thread: the shipper's
 * threads and `berth logs` each have their own. */
static _Thread_local struct {
    char head[STAMP_MAX]; /* up to the '.' */
    char tail[STAMP_MAX]; /* after the fraction's digits: the zone */
    size_t head_len, tail_len;
    int64_t base_us; /* head + tail, as isodate_parse reads it */
} memo;

/* stamp[0..len) as microseconds, as isodate_parse reads it. */
static int stamp_parse(const char *stamp, size_t len, int64_t *ret_us)
{
    const char *dot = memchr(stamp, '.', len);
    const char *end = stamp + len, *frac = dot ? dot + 1 : end, *tail = frac;
    int64_t us = 0;
    int n = 0;
    for (; tail < end && *tail >= '0' && *tail <= '9'; tail++)
        if (n < 6) {
            us = us * 10 + (*tail - '0');
            n++;
        }
    /* A fraction follows the seconds (19 characters in); anything else
     * (a second fraction, a NUL) is read whole, as isodate_parse reads it. */
    if (!dot || dot - stamp != 19 || tail == frac || (tail < end && *tail == '.') || memchr(stamp, '\0', len)) {
        char buf[STAMP_MAX];
        int64_t lo, hi;
        memcpy(buf, stamp, len);
        buf[len] = '\0';
        if (isodate_parse(buf, &lo, &hi) < 0)
            return -1;
        *ret_us = lo;
        return 0;
    }
    for (; n < 6; n++)
        us *= 10;
    size_t head_len = (size_t)(dot - stamp), tail_len = (size_t)(end - tail);
    if (head_len != memo.head_len || tail_len != memo.tail_len || memcmp(stamp, memo.head, head_len) != 0 ||
        memcmp(tail, memo.tail, tail_len) != 0) {
        char buf[STAMP_MAX];
        int64_t lo, hi;
        memcpy(buf, stamp, head_len);
        memcpy(buf + head_len, tail, tail_len);
        buf[head_len + tail_len] = '\0';
        if (isodate_parse(buf, &lo, &hi) < 0)
            return -1;
        memcpy(memo.head, stamp, head_len);
        memcpy(memo.tail, tail, tail_len);
        memo.head_len = head_len;
        memo.tail_len = tail_len;
        memo.base_us = lo;
    }
    *ret_us = memo.base_us + us;
    return 0;
}

int conmon_log_parse(const char *line, size_t len, struct conmon_log_rec *ret)
{
    const char *sp1 = memchr(line, ' ', len);
    if (!sp1 || sp1 == line || (size_t)(sp1 - line) >= STAMP_MAX)
        return -1;
    size_t tlen = (size_t)(sp1 - line);
    int64_t lo;
    if (stamp_parse(line, tlen, &lo) < 0)
        return -1;
    const char *p = sp1 + 1, *end = line + len;
    bool is_stderr;
    if ((size_t)(end - p) >= 7 && memcmp(p, "stdout ", 7) == 0)
        is_stderr = false;
    else if ((size_t)(end - p) >= 7 && memcmp(p, "stderr ", 7) == 0)
        is_stderr = true;
    else
        return -1;
    p += 7;
    /* "F" or "P", then a space before the text; an empty final piece may
     * come without the space. */
    if (p >= end || (*p != 'F' && *p != 'P'))
        return -1;
    bool partial = *p == 'P';
    p++;
    if (p < end) {
        if (*p != ' ')
            return -1;
        p++;
    }
    ret->ts_us = lo;
    ret->time = line;
    ret->time_len = tlen;
    ret->is_stderr = is_stderr;
    ret->partial = partial;
    ret->text = p;
    ret->text_len = (size_t)(end - p);
    return 0;
}
