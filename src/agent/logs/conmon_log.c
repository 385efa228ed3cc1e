/* conmon_log.c - parse conmon's k8s-file records (see conmon_log.h).  Used by the
 * log shipper and `berth logs`; it reads nothing itself. */
#include "agent/logs/conmon_log.h"

#include <string.h>

#include "common/isodate.h"

int conmon_log_parse(const char *line, size_t len, struct conmon_log_rec *ret)
{
    const char *sp1 = memchr(line, ' ', len);
    if (!sp1 || sp1 == line || (size_t)(sp1 - line) >= 64)
        return -1;
    char stamp[64];
    size_t tlen = (size_t)(sp1 - line);
    memcpy(stamp, line, tlen);
    stamp[tlen] = '\0';
    int64_t lo, hi;
    if (isodate_parse(stamp, &lo, &hi) < 0)
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
