/* isodate.c - ISO 8601 dates as people type them in queries and filters:
 * 2018-06-18, 2018-06-18T22:28:28, with optional fraction and Z or +hh:mm.
 * Parsing only; no formatting, no local time zones (no offset means UTC). */
#include "common/isodate.h"

#include <ctype.h>
#include <stdbool.h>

/* Read exactly n digits. */
static bool digits(const char **s, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return false;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *ret = v;
    return true;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), by arithmetic:
 * timegm() took a good part of the log shipper's per-record parse (it
 * normalises a struct tm and consults the time zone state).  Howard
 * Hinnant's days_from_civil, valid for any year this parser reads. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int isodate_parse(const char *s, int64_t *ret_lo, int64_t *ret_hi)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t span = 86400LL * 1000000, frac = 0, offset = 0;
    if (!s || !digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' || !digits(&s, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return -1;
    if (*s) {
        if (*s != 'T' && *s != 't' && *s != ' ')
            return -1;
        s++;
        if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi) || *s++ != ':' || !digits(&s, 2, &sec))
            return -1;
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        span = 1000000;
        if (*s == '.') {
            s++;
            int n = 0;
            while (isdigit((unsigned char)*s)) {
                if (n < 6) {
                    frac = frac * 10 + (*s - '0');
                    span /= 10;
                    n++;
                }
                s++;
            }
            if (n == 0)
                return -1;
            for (int i = n; i < 6; i++)
                frac *= 10;
        }
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            int sign = *s++ == '-' ? -1 : 1, oh, om;
            if (!digits(&s, 2, &oh))
                return -1;
            if (*s == ':')
                s++;
            if (!digits(&s, 2, &om) || oh > 23 || om > 59)
                return -1;
            offset = sign * (oh * 3600LL + om * 60LL);
        }
        if (*s)
            return -1;
    }
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600LL + mi * 60LL + sec;
    int64_t lo = (t - offset) * 1000000 + frac;
    *ret_lo = lo;
    *ret_hi = lo + span;
    return 0;
}

int isodate_parse_amz(const char *s, int64_t *ret_seconds)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec;
    if (!s || !digits(&s, 4, &y) || !digits(&s, 2, &mo) || !digits(&s, 2, &d) || *s++ != 'T' || !digits(&s, 2, &h) ||
        !digits(&s, 2, &mi) || !digits(&s, 2, &sec) || *s++ != 'Z' || *s)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 || sec > 60)
        return -1;
    *ret_seconds = days_from_civil(y, mo, d) * 86400 + h * 3600LL + mi * 60LL + sec;
    return 0;
}
