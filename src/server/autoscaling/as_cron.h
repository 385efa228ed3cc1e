/* as_cron.h - Application Auto Scaling's cron() schedules: AWS's six
 * fields "Minutes Hours Day-of-month Month Day-of-week Year", and when such
 * a schedule next fires in a time zone.  Pure but for the zone (tzinfo.h). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct tzinfo;

/* A set of small values: bit (value - the field's least value). */
struct as_cron_bits {
    uint64_t w[4];
};

struct as_cron {
    struct as_cron_bits minute, hour, mday, month, wday, year;
    bool mday_any, wday_any; /* '?' */
    bool mday_last;          /* L: the month's last day */
    int wday_nth;            /* D#n: the n-th (1-5) weekday D of the month; 0 if not */
    bool wday_last;          /* DL: the month's last weekday D */
};

/* The fields inside "cron(...)".  Values: Minutes 0-59, Hours 0-23,
 * Day-of-month 1-31, Month 1-12 or JAN-DEC, Day-of-week 1-7 or SUN-SAT
 * (1 is Sunday), Year 1970-2199; each a list of *, N, N-M and those with
 * /step.  One of Day-of-month and Day-of-week is '?'.  L (last day) in
 * Day-of-month, DL and D#n alone in Day-of-week; W is refused.
 * ERR_INVALID with what is wrong. */
int as_cron_parse(const char *fields, struct as_cron *ret, struct error *err);

/* The first instant (epoch seconds) after `after` at which the schedule
 * fires, read on the wall clock of zone z; -1 if none before 2200. */
int64_t as_cron_next(const struct as_cron *c, const struct tzinfo *z, int64_t after);
