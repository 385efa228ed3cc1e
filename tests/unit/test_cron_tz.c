/* test_cron_tz.c - time zones from the system's tz database (offsets,
 * daylight saving both ways, the footer rule past 2037, wall clock to
 * instant across gaps and folds) and cron() schedules in them. */
#include <string.h>

#include "common/tzinfo.h"
#include "server/autoscaling/as_cron.h"
#include "test.h"

/* Epoch seconds of a UTC date and time. */
static int64_t at(int64_t y, int m, int d, int h, int mi)
{
    return tzinfo_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60;
}

static struct tzinfo *zone(const char *name)
{
    struct tzinfo *z = NULL;
    struct error err;
    return tzinfo_load(name, &z, &err) == 0 ? z : NULL;
}

TEST(tzinfo_offsets)
{
    struct tzinfo *ny = zone("America/New_York"), *syd = zone("Australia/Sydney"), *utc = zone("UTC");
    CHECK(ny && syd && utc);
    if (!ny || !syd || !utc)
        return;
    CHECK(tzinfo_offset(ny, at(2024, 1, 15, 12, 0)) == -5 * 3600);
    CHECK(tzinfo_offset(ny, at(2024, 7, 15, 12, 0)) == -4 * 3600);
    /* 2024-03-10 07:00Z clocks go forward */
    CHECK(tzinfo_offset(ny, at(2024, 3, 10, 6, 59)) == -5 * 3600);
    CHECK(tzinfo_offset(ny, at(2024, 3, 10, 7, 0)) == -4 * 3600);
    /* past the file's transitions: the footer's rule */
    CHECK(tzinfo_offset(ny, at(2150, 1, 1, 0, 0)) == -5 * 3600);
    CHECK(tzinfo_offset(ny, at(2150, 7, 1, 0, 0)) == -4 * 3600);
    CHECK(tzinfo_offset(syd, at(2150, 1, 1, 0, 0)) == 11 * 3600); /* southern summer */
    CHECK(tzinfo_offset(syd, at(2150, 7, 1, 0, 0)) == 10 * 3600);
    CHECK(tzinfo_offset(utc, at(2024, 7, 1, 0, 0)) == 0);
    /* wall clock to instant: a gap lands after it, a fold is its first time */
    CHECK(tzinfo_to_utc(ny, at(2024, 3, 10, 2, 30)) == at(2024, 3, 10, 7, 30));
    CHECK(tzinfo_to_utc(ny, at(2024, 11, 3, 1, 30)) == at(2024, 11, 3, 5, 30));
    CHECK(tzinfo_to_utc(ny, at(2024, 6, 1, 9, 0)) == at(2024, 6, 1, 13, 0));
    tzinfo_free(ny);
    tzinfo_free(syd);
    tzinfo_free(utc);
}

TEST(tzinfo_refuses_what_is_not_a_zone)
{
    struct tzinfo *z = NULL;
    struct error err;
    const char *bad[] = {"", "../../etc/passwd", "/etc/localtime", "Nowhere/City", "Europe//Paris", "Europe/", "a b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(tzinfo_load(bad[i], &z, &err) < 0);
    const unsigned char junk[] = "TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xff\xff\xff\xff";
    CHECK(tzinfo_parse(junk, sizeof(junk), &z, &err) < 0);
    CHECK(tzinfo_parse((const unsigned char *)"hello", 5, &z, &err) < 0);
}

static int64_t next(const char *fields, struct tzinfo *z, int64_t after)
{
    struct as_cron c;
    struct error err;
    if (as_cron_parse(fields, &c, &err) < 0)
        return -2;
    return as_cron_next(&c, z, after);
}

TEST(cron_parse_refusals)
{
    struct as_cron c;
    struct error err;
    const char *bad[] = {"0 9 * * *",      "0 9 * * ? * *", "60 9 * * ? *",   "0 24 * * ? *",  "0 9 * * * *",
                         "0 9 ? * ? *",    "0 9 15W * ? *", "0 9 ? * 8 *",    "0 9 ? * 2#6 *", "0 9 * 13 ? *",
                         "0 9 * * ? 2200", "5-1 9 * * ? *", "0 9 * * ? 1969", "*/0 9 * * ? *", "0,,1 9 * * ? *"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(as_cron_parse(bad[i], &c, &err) < 0);
    }
    CHECK(as_cron_parse("0/15 8-17 ? JAN-MAR,DEC MON-FRI 2025-2030/2", &c, &err) == 0);
    /* A field longer than 127 characters is refused, not split in two
     * (this one would shift the rest into five valid fields). */
    char longer[400];
    size_t n = 0;
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(longer + n, sizeof(longer) - n, "%s", i ? ",0" : "0");
    snprintf(longer + n, sizeof(longer) - n, "0 1 * ? 2025");
    CHECK(as_cron_parse(longer, &c, &err) < 0);
}

TEST(cron_next_in_zones)
{
    struct tzinfo *ny = zone("America/New_York"), *utc = zone("UTC"), *kol = zone("Asia/Kolkata");
    CHECK(ny && utc && kol);
    if (!ny || !utc || !kol)
        return;
    /* Saturday 2024-06-01: weekdays at 09:00 New York is Monday 13:00Z */
    CHECK(next("0 9 ? * MON-FRI *", ny, at(2024, 6, 1, 12, 0)) == at(2024, 6, 3, 13, 0));
    CHECK(next("0 9 ? * 2-6 *", ny, at(2024, 6, 1, 12, 0)) == at(2024, 6, 3, 13, 0));
    /* strictly after */
    CHECK(next("0 13 * * ? *", utc, at(2024, 6, 3, 13, 0)) == at(2024, 6, 4, 13, 0));
    CHECK(next("*/15 * * * ? *", utc, at(2024, 6, 3, 13, 7)) == at(2024, 6, 3, 13, 15));
    /* a step inside a one-value range stays in it: 5-5/2 is 05:00 only */
    CHECK(next("0 5-5/2 * * ? *", utc, at(2024, 6, 3, 6, 0)) == at(2024, 6, 4, 5, 0));
    CHECK(next("0 5/2 * * ? *", utc, at(2024, 6, 3, 6, 0)) == at(2024, 6, 3, 7, 0));
    /* 02:30 does not exist on 2024-03-10 in New York: just after the gap */
    CHECK(next("30 2 * * ? *", ny, at(2024, 3, 10, 0, 0)) == at(2024, 3, 10, 7, 30));
    /* 01:30 happens twice on 2024-11-03: once */
    CHECK(next("30 1 * * ? *", ny, at(2024, 11, 3, 0, 0)) == at(2024, 11, 3, 5, 30));
    CHECK(next("30 1 * * ? *", ny, at(2024, 11, 3, 5, 30)) == at(2024, 11, 4, 6, 30));
    /* L, D#n, DL */
    CHECK(next("0 0 L * ? *", utc, at(2024, 2, 10, 0, 0)) == at(2024, 2, 29, 0, 0));
    CHECK(next("0 12 ? * 6#3 *", utc, at(2024, 6, 1, 0, 0)) == at(2024, 6, 21, 12, 0));
    CHECK(next("0 12 ? * 2L *", utc, at(2024, 6, 1, 0, 0)) == at(2024, 6, 24, 12, 0));
    /* a half-hour zone; years that have passed fire never */
    CHECK(next("0 9 * * ? *", kol, at(2024, 6, 1, 0, 0)) == at(2024, 6, 1, 3, 30));
    CHECK(next("0 9 * * ? 2020", utc, at(2024, 6, 1, 0, 0)) == -1);
    CHECK(next("0 9 1 JAN ? 2199", utc, at(2024, 6, 1, 0, 0)) == at(2199, 1, 1, 9, 0));
    tzinfo_free(ny);
    tzinfo_free(utc);
    tzinfo_free(kol);
}
