/* Unit tests: ISO 8601 date parsing into intervals. */
#include "common/isodate.h"
#include "test.h"

#include <stdio.h>
#include <time.h>

TEST(isodate_intervals)
{
    int64_t lo, hi;
    CHECK(isodate_parse("1970-01-02", &lo, &hi) == 0);
    CHECK(lo == 86400LL * 1000000 && hi == 2 * 86400LL * 1000000);
    CHECK(isodate_parse("1970-01-01T00:00:01.5Z", &lo, &hi) == 0);
    CHECK(lo == 1500000 && hi == 1600000);
    CHECK(isodate_parse("2024-02-29", &lo, &hi) == 0);
    CHECK(isodate_parse("2023-02-29", &lo, &hi) < 0);
    CHECK(isodate_parse("2026-13-01", &lo, &hi) < 0);
    CHECK(isodate_parse("2026-01-01T25:00:00Z", &lo, &hi) < 0);
    CHECK(isodate_parse("2026-01-01X", &lo, &hi) < 0);
    CHECK(isodate_parse("26-01-01", &lo, &hi) < 0);
    CHECK(isodate_parse("1970-01-01T01:00:00+01:00", &lo, &hi) == 0);
    CHECK(lo == 0 && hi == 1000000);
    CHECK(isodate_parse("1970-01-01 00:00:00-0130", &lo, &hi) == 0);
    CHECK(lo == 5400LL * 1000000);
    CHECK(isodate_parse("1970-01-01T00:00:00.123456789Z", &lo, &hi) == 0);
    CHECK(lo == 123456 && hi == 123457);
    CHECK(isodate_parse("1970-01-01T00:00:00.Z", &lo, &hi) < 0);
    CHECK(isodate_parse("1970-01-01T00:00", &lo, &hi) < 0);
    CHECK(isodate_parse("", &lo, &hi) < 0);
    CHECK(isodate_parse(NULL, &lo, &hi) < 0);
}

/* The arithmetic that replaced timegm() agrees with it, leap days, century
 * years and a leap second (60 rolls into the next minute) included. */
TEST(isodate_matches_timegm)
{
    static const int years[] = {1900, 1969, 1970, 1999, 2000, 2024, 2026, 2100, 2400, 9999};
    for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++)
        for (int mo = 1; mo <= 12; mo++)
            for (int d = 1; d <= 28; d += 9) {
                char s[64];
                snprintf(s, sizeof(s), "%04d-%02d-%02dT23:59:60.25Z", years[i], mo, d);
                int64_t lo, hi;
                CHECK(isodate_parse(s, &lo, &hi) == 0);
                struct tm tm = {.tm_year = years[i] - 1900,
                                .tm_mon = mo - 1,
                                .tm_mday = d,
                                .tm_hour = 23,
                                .tm_min = 59,
                                .tm_sec = 60};
                CHECK(lo == (int64_t)timegm(&tm) * 1000000 + 250000);
            }
    int64_t lo, hi;
    CHECK(isodate_parse("2024-02-29T12:00:00Z", &lo, &hi) == 0);
    CHECK(lo == 1709208000LL * 1000000);
}

/* SigV4's compact X-Amz-Date: the same second timegm gives; anything else
 * (a separator, a day the month lacks, trailing bytes) is refused. */
TEST(isodate_parse_amz_is_timegm_and_refuses_the_rest)
{
    int64_t t = 0;
    CHECK(isodate_parse_amz("20261203T144308Z", &t) == 0);
    struct tm tm = {.tm_year = 126, .tm_mon = 11, .tm_mday = 3, .tm_hour = 14, .tm_min = 43, .tm_sec = 8};
    CHECK(t == (int64_t)timegm(&tm));
    CHECK(isodate_parse_amz("19700101T000000Z", &t) == 0 && t == 0);
    CHECK(isodate_parse_amz("20240229T235959Z", &t) == 0 && t == 1709251199);
    CHECK(isodate_parse_amz("20230229T000000Z", &t) < 0);
    CHECK(isodate_parse_amz("20261303T144308Z", &t) < 0);
    CHECK(isodate_parse_amz("20261203T244308Z", &t) < 0);
    CHECK(isodate_parse_amz("20261203 144308Z", &t) < 0);
    CHECK(isodate_parse_amz("20261203T144308ZZ", &t) < 0);
    CHECK(isodate_parse_amz("20261203T14430Z", &t) < 0);
    CHECK(isodate_parse_amz("2026-12-03T14:43:08Z", &t) < 0);
    CHECK(isodate_parse_amz(NULL, &t) < 0);
}
