/* as_cron.c - cron() schedules (see as_cron.h).
 *
 * The next firing is found day by day on the zone's wall clock, skipping
 * whole years and months that cannot match; on a matching day every
 * matching hour and minute is converted to an instant (tzinfo_to_utc: a
 * time the clocks skip fires just after the skip, a time they repeat fires
 * once) and the earliest one after `after` wins. */
#include "server/autoscaling/as_cron.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/tzinfo.h"

#define DAY 86400
#define YEAR_MIN 1970
#define YEAR_MAX 2199
#define FIELD_MAX 128

struct field_kind {
    const char *what;
    int min, max;
    const char *const *names; /* names[i] is value min + i, or NULL */
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const wday_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

static const struct field_kind kinds[6] = {
    {"Minutes", 0, 59, NULL},          {"Hours", 0, 23, NULL},
    {"Day-of-month", 1, 31, NULL},     {"Month", 1, 12, month_names},
    {"Day-of-week", 1, 7, wday_names}, {"Year", YEAR_MIN, YEAR_MAX, NULL},
};

static void bit_set(struct as_cron_bits *b, int i) { b->w[i / 64] |= 1ull << (i % 64); }
static bool bit_has(const struct as_cron_bits *b, int i) { return (b->w[i / 64] >> (i % 64)) & 1; }

/* A value at *p: a number or one of the kind's names. */
static bool value(const struct field_kind *k, const char **p, int *ret)
{
    const char *s = *p;
    if (isdigit((unsigned char)*s)) {
        long v = 0;
        while (isdigit((unsigned char)*s) && v <= 100000)
            v = v * 10 + (*s++ - '0');
        if (v < k->min || v > k->max)
            return false;
        *ret = (int)v;
        *p = s;
        return true;
    }
    for (int i = 0; k->names && i <= k->max - k->min; i++)
        if (strncasecmp(s, k->names[i], 3) == 0) {
            *ret = k->min + i;
            *p = s + 3;
            return true;
        }
    return false;
}

/* One list item: *, N, N-M, each optionally /step. */
static bool item(const struct field_kind *k, const char *s, struct as_cron_bits *b)
{
    int lo = k->min, hi = k->max, step = 1;
    bool ranged = false; /* N-M, even N-N: a step stays inside it */
    if (*s == '*') {
        s++;
    } else {
        if (!value(k, &s, &lo))
            return false;
        hi = lo;
        if (*s == '-') {
            s++;
            if (!value(k, &s, &hi) || hi < lo)
                return false;
            ranged = true;
        }
    }
    if (*s == '/') {
        s++;
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > k->max - k->min + 1)
            return false;
        step = (int)v;
        s = end;
        if (!ranged) /* N/step: from N to the end */
            hi = k->max;
    }
    if (*s)
        return false;
    for (int v = lo; v <= hi; v += step)
        bit_set(b, v - k->min);
    return true;
}

static bool list(const struct field_kind *k, const char *s, struct as_cron_bits *b)
{
    char buf[FIELD_MAX];
    snprintf(buf, sizeof(buf), "%s", s);
    char *save = NULL;
    size_t n = 0;
    for (char *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save), n++)
        if (!item(k, it, b))
            return false;
    return n > 0 && s[0] != ',' && s[strlen(s) - 1] != ',' && !strstr(s, ",,");
}

/* Day-of-week's DL and D#n. */
static bool wday_special(const char *s, struct as_cron *c)
{
    const struct field_kind *k = &kinds[4];
    int d;
    if (!value(k, &s, &d))
        return false;
    if (strcmp(s, "L") == 0)
        c->wday_last = true;
    else if (s[0] == '#' && s[1] >= '1' && s[1] <= '5' && s[2] == '\0')
        c->wday_nth = s[1] - '0';
    else
        return false;
    bit_set(&c->wday, d - k->min);
    return true;
}

static int field(const char *s, int i, struct as_cron *c, struct error *err)
{
    struct as_cron_bits *dst[6] = {&c->minute, &c->hour, &c->mday, &c->month, &c->wday, &c->year};
    const char *what = kinds[i].what;
    if (strcmp(s, "?") == 0 && (i == 2 || i == 4)) {
        *(i == 2 ? &c->mday_any : &c->wday_any) = true;
        return 0;
    }
    if (strchr(s, 'W') && i == 2)
        return error_set(err, ERR_INVALID, "berth does not support W (nearest weekday) in cron()'s %s.", what);
    if (i == 2 && strcmp(s, "L") == 0) {
        c->mday_last = true;
        return 0;
    }
    if (i == 4 && (strchr(s, '#') || strchr(s, 'L')))
        return wday_special(s, c) ? 0 : error_set(err, ERR_INVALID, "Invalid %s field %.40s in cron().", what, s);
    if (!list(&kinds[i], s, dst[i]))
        return error_set(err, ERR_INVALID, "Invalid %s field %.40s in cron().", what, s);
    return 0;
}

/* Whether each field sscanf took ended at a space or the end: %127s stops
 * inside a longer field, whose rest would pass for the next field. */
static bool fields_whole(const char *fields, const int ends[6])
{
    for (int i = 0; i < 6; i++)
        if (fields[ends[i]] && !isspace((unsigned char)fields[ends[i]]))
            return false;
    return true;
}

int as_cron_parse(const char *fields, struct as_cron *ret, struct error *err)
{
    struct as_cron c;
    memset(&c, 0, sizeof(c));
    char part[6][FIELD_MAX];
    char extra[2];
    int ends[6] = {0};
    if (strlen(fields) > 6 * FIELD_MAX ||
        sscanf(fields, "%127s%n %127s%n %127s%n %127s%n %127s%n %127s%n %1s", part[0], &ends[0], part[1], &ends[1],
               part[2], &ends[2], part[3], &ends[3], part[4], &ends[4], part[5], &ends[5], extra) != 6 ||
        !fields_whole(fields, ends))
        return error_set(err, ERR_INVALID,
                         "cron() takes six fields: Minutes Hours Day-of-month Month Day-of-week Year.");
    for (int i = 0; i < 6; i++)
        if (field(part[i], i, &c, err) < 0)
            return -1;
    if (c.mday_any == c.wday_any)
        return error_set(err, ERR_INVALID, "cron() needs '?' in exactly one of Day-of-month and Day-of-week.");
    *ret = c;
    return 0;
}

static bool day_matches(const struct as_cron *c, int64_t days, int64_t y, int m, int d)
{
    if (c->wday_any)
        return c->mday_last ? d == tzinfo_days_in_month(y, m) : bit_has(&c->mday, d - 1);
    int wday = (int)(((days % 7) + 7 + 4) % 7); /* 0 Sunday; 1970-01-01 was a Thursday */
    if (!bit_has(&c->wday, wday))
        return false;
    if (c->wday_nth)
        return (d - 1) / 7 + 1 == c->wday_nth;
    if (c->wday_last)
        return d + 7 > tzinfo_days_in_month(y, m);
    return true;
}

/* The earliest firing after `after` on local day `days`, or -1. */
static int64_t day_first(const struct as_cron *c, const struct tzinfo *z, int64_t days, int64_t after)
{
    int64_t best = -1;
    for (int h = 0; h < 24; h++) {
        if (!bit_has(&c->hour, h))
            continue;
        for (int mi = 0; mi < 60; mi++) {
            if (!bit_has(&c->minute, mi))
                continue;
            int64_t u = tzinfo_to_utc(z, days * DAY + h * 3600 + mi * 60);
            if (u > after && (best < 0 || u < best))
                best = u;
        }
    }
    return best;
}

int64_t as_cron_next(const struct as_cron *c, const struct tzinfo *z, int64_t after)
{
    int64_t local = after + tzinfo_offset(z, after);
    int64_t days = (local >= 0 ? local : local - (DAY - 1)) / DAY - 1; /* the day before: DST shifts */
    for (int guard = 0; guard < 200000; guard++) {
        int64_t y;
        int m, d;
        tzinfo_civil_from_days(days, &y, &m, &d);
        if (y > YEAR_MAX)
            return -1;
        if (y < YEAR_MIN || !bit_has(&c->year, (int)(y - YEAR_MIN))) {
            days = tzinfo_days_from_civil(y + 1, 1, 1);
            continue;
        }
        if (!bit_has(&c->month, m - 1)) {
            days = tzinfo_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1);
            continue;
        }
        if (day_matches(c, days, y, m, d)) {
            int64_t u = day_first(c, z, days, after);
            if (u >= 0)
                return u;
        }
        days++;
    }
    return -1;
}
