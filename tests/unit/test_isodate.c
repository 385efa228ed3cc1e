/* Unit tests: ISO 8601 date parsing into intervals. */
#include "common/isodate.h"
#include "test.h"

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
