/* test_logship_pure.c - the log drivers' pure parts: conmon's k8s-file
 * records, the awslogs multi-line joiner, Docker size strings and the
 * json-file line encoding. */
#include <stdio.h>
#include <stdlib.h>

#include "agent/logs/jsonlog.h"
#include "agent/logs/conmon_log.h"
#include "agent/logs/logjoin.h"
#include "common/isodate.h"
#include "test.h"

#define REC(s) conmon_log_parse(s, strlen(s), &r)

TEST(conmon_log_full_and_partial_records)
{
    struct conmon_log_rec r;
    CHECK(REC("2026-11-22T02:00:00.123456789+00:00 stdout F hello world") == 0);
    CHECK(!r.partial && !r.is_stderr);
    CHECK(r.text_len == 11 && memcmp(r.text, "hello world", 11) == 0);
    CHECK(r.ts_us == 1795312800123456LL);
    CHECK(r.time_len == 35);
    CHECK(REC("2026-11-22T02:00:00Z stderr P  two  spaces ") == 0);
    CHECK(r.partial && r.is_stderr);
    CHECK(r.text_len == 13 && memcmp(r.text, " two  spaces ", 13) == 0);
    /* the F that ends a line may be empty, with or without its space */
    CHECK(REC("2026-11-22T02:00:00Z stdout F ") == 0 && r.text_len == 0);
    CHECK(REC("2026-11-22T02:00:00Z stdout F") == 0 && r.text_len == 0);
}

TEST(conmon_log_rejects_malformed)
{
    struct conmon_log_rec r;
    CHECK(REC("") < 0);
    CHECK(REC("not-a-time stdout F x") < 0);
    CHECK(REC("2026-11-22T02:00:00Z stdin F x") < 0);
    CHECK(REC("2026-11-22T02:00:00Z stdout X x") < 0);
    CHECK(REC("2026-11-22T02:00:00Z stdout Fx") < 0);
    CHECK(REC("2026-11-22T02:00:00Z") < 0);
}

/* A record's time is what isodate_parse reads from its stamp, whether or
 * not the stamp's seconds were seen just before (conmon_log.c keeps the
 * last ones). */
TEST(conmon_log_stamp_memo_reads_as_isodate)
{
    static const char *stamps[] = {
        "2026-11-22T02:00:00.123456789+00:00",
        "2026-11-22T02:00:00.999999999+00:00",
        "2026-11-22T02:00:00.5+00:00",
        "2026-11-22T02:00:00.000001+00:00",
        "2026-11-22T02:00:00.123456789+02:00",
        "2026-11-22T02:00:00.123456789-05:30",
        "2026-11-22T02:00:01.1Z",
        "2026-11-22T02:00:01.1z",
        "2026-12-31T23:59:60.25Z",
        "2026-11-22T02:00:01.12345678901234Z",
        "2026-11-22T02:00:00Z",
        "2026-11-22T02:00:00.123456789+00:00",
        /* refused, after a stamp that shares their seconds */
        "2026-11-22T02:00:00.+00:00",
        "2026-11-22T02:00:00.12x+00:00",
        "2026-11-22T02:00:00.1+25:00",
        "2026-11-22.5",
        "2026-11-22T02:00.5Z",
        "2026-13-22T02:00:00.1Z",
        "2026-11-22T02:00:00.123456789+00:00 ",
        "2026-11-22T02:00:00.1.5Z",
        "2026-11-22T02:00:00.1.5",
    };
    for (size_t round = 0; round < 2; round++)
        for (size_t i = 0; i < ELEMENTSOF(stamps); i++) {
            char line[128];
            snprintf(line, sizeof(line), "%s stdout F x", stamps[i]);
            struct conmon_log_rec r;
            int64_t lo, hi;
            int want = isodate_parse(stamps[i], &lo, &hi);
            int got = REC(line);
            if (got != want || (got == 0 && r.ts_us != lo))
                fprintf(stderr, "  %s: %d %lld, isodate_parse %d %lld\n", stamps[i], got,
                        got == 0 ? (long long)r.ts_us : 0LL, want, (long long)lo);
            CHECK(got == want);
            CHECK(got < 0 || r.ts_us == lo);
        }
    /* A NUL in the stamp ends it for isodate_parse, whatever follows. */
    static const char nul[] = "2026-11-22\0aaaaaaaa.5Z stdout F x";
    struct conmon_log_rec r;
    int64_t lo, hi;
    CHECK(isodate_parse("2026-11-22", &lo, &hi) == 0);
    CHECK(conmon_log_parse(nul, sizeof(nul) - 1, &r) == 0 && r.ts_us == lo);
}

static int feed(struct logjoin *j, const char *line, uint64_t *off, struct logjoin_event *ev)
{
    struct error err;
    uint64_t start = *off;
    *off += strlen(line) + 40;
    return logjoin_feed(j, line, strlen(line), 1000 + (int64_t)start, start, *off, false, ev, &err);
}

TEST(logjoin_single_lines_without_pattern)
{
    struct logjoin j;
    struct error err;
    struct logjoin_event ev;
    uint64_t off = 0;
    CHECK(logjoin_init(&j, NULL, NULL, 1000, &err) == 0);
    CHECK(!logjoin_multiline(&j));
    CHECK(feed(&j, "one", &off, &ev) == 1);
    CHECK_STR(ev.msg, "one");
    CHECK(ev.start_off == 0 && ev.end_off == 43);
    free(ev.msg);
    CHECK(logjoin_flush(&j, &ev) == 0);
    logjoin_free(&j);
}

TEST(logjoin_datetime_format)
{
    struct logjoin j;
    struct error err;
    struct logjoin_event ev;
    uint64_t off = 0;
    CHECK(logjoin_init(&j, "%Y-%m-%d %H:%M:%S", NULL, 1000, &err) == 0);
    CHECK(feed(&j, "2026-11-22 10:00:00 first", &off, &ev) == 0);
    CHECK(feed(&j, "  at a", &off, &ev) == 0);
    CHECK(feed(&j, "  at b", &off, &ev) == 0);
    CHECK(feed(&j, "2026-11-22 10:00:01 second", &off, &ev) == 1);
    CHECK_STR(ev.msg, "2026-11-22 10:00:00 first\n  at a\n  at b");
    CHECK(ev.start_off == 0 && ev.ts_ms == 1000);
    uint64_t second_start = ev.end_off;
    free(ev.msg);
    /* a timestamp not at the line's start does not begin an event */
    CHECK(feed(&j, "x 2026-11-22 10:00:02", &off, &ev) == 0);
    CHECK(logjoin_flush(&j, &ev) == 1);
    CHECK_STR(ev.msg, "2026-11-22 10:00:01 second\nx 2026-11-22 10:00:02");
    CHECK(ev.start_off == second_start && ev.end_off == off);
    free(ev.msg);
    CHECK(logjoin_flush(&j, &ev) == 0);
    logjoin_free(&j);
}

TEST(logjoin_multiline_pattern_and_limits)
{
    struct logjoin j;
    struct error err;
    struct logjoin_event ev;
    uint64_t off = 0;
    CHECK(logjoin_init(&j, NULL, "^(INFO|WARN)", 20, &err) == 0);
    /* continuation lines before any match make an event of their own */
    CHECK(feed(&j, "orphan", &off, &ev) == 0);
    CHECK(feed(&j, "INFO a", &off, &ev) == 1);
    CHECK_STR(ev.msg, "orphan");
    free(ev.msg);
    CHECK(feed(&j, " 1234567", &off, &ev) == 0);
    /* 6 + 1 + 8 + 1 + 8 > 20: the event is ended rather than grown */
    CHECK(feed(&j, " 7654321", &off, &ev) == 1);
    CHECK_STR(ev.msg, "INFO a\n 1234567");
    free(ev.msg);
    CHECK(logjoin_flush(&j, &ev) == 1);
    CHECK_STR(ev.msg, " 7654321");
    free(ev.msg);
    logjoin_free(&j);
    CHECK(logjoin_init(&j, NULL, "([", 20, &err) < 0);
}

TEST(logjoin_forced_cut)
{
    struct logjoin j;
    struct error err;
    struct logjoin_event ev;
    CHECK(logjoin_init(&j, NULL, "^START", 100, &err) == 0);
    CHECK(logjoin_feed(&j, "START", 5, 1, 0, 10, false, &ev, &err) == 0);
    CHECK(logjoin_feed(&j, "cont", 4, 2, 10, 20, true, &ev, &err) == 1);
    CHECK_STR(ev.msg, "START");
    CHECK(ev.end_off == 10);
    free(ev.msg);
    CHECK(logjoin_flush(&j, &ev) == 1);
    free(ev.msg);
    logjoin_free(&j);
}

TEST(logjoin_datetime_regex_translation)
{
    char re[512];
    struct error err;
    /* Docker's documented example: the format escapes its own brackets */
    CHECK(logjoin_datetime_regex("\\[%b %d, %Y %H:%M:%S\\]", re, sizeof(re), &err) == 0);
    CHECK_STR(re, "^\\[(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (0[1-9]|[12][0-9]|3[01]), [0-9]{4} "
                  "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\\]");
    CHECK(logjoin_datetime_regex("%Y-%m-%dT%H:%M:%S%L%z", re, sizeof(re), &err) == 0);
    CHECK_STR(re, "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                  "\\.[0-9]{3}[+-][0-9]{4}");
    /* RE2-only escapes in the literal part are rewritten for glibc */
    CHECK(logjoin_datetime_regex("\\d+ %p", re, sizeof(re), &err) == 0);
    CHECK_STR(re, "^[0-9]+ [AP]M");
    CHECK(logjoin_datetime_regex("%Q", re, sizeof(re), &err) < 0);
    CHECK(logjoin_datetime_regex("%", re, sizeof(re), &err) < 0);
    CHECK(logjoin_datetime_regex("%Y%Y%Y%Y%Y", re, 20, &err) < 0);
    CHECK(logjoin_pattern_regex("^(?:INFO|WARN) \\d{2}\\D", re, sizeof(re), &err) == 0);
    CHECK_STR(re, "^(INFO|WARN) [0-9]{2}[^0-9]");
}

/* Which lines of a log start events under a datetime format or pattern. */
static void check_starts(int *failures_, const char *fmt, const char *pattern, const char *const *lines,
                         const char *starts)
{
    struct logjoin j;
    struct error err;
    CHECK(logjoin_init(&j, fmt, pattern, 1000, &err) == 0);
    for (size_t i = 0; lines[i]; i++) {
        struct logjoin_event ev;
        /* force nothing: an event is pending from the first line on */
        int r = logjoin_feed(&j, lines[i], strlen(lines[i]), 0, i, i + 1, false, &ev, &err);
        if (i > 0 && starts[i] == 'y')
            CHECK(r == 1);
        else
            CHECK(r == 0);
        if (r == 1)
            free(ev.msg);
    }
    logjoin_free(&j);
}

TEST(logjoin_docker_documented_examples)
{
    /* Docker's awslogs documentation: four lines, two events */
    const char *const docker[] = {"[May 01, 2017 19:00:01] A message was logged",
                                  "[May 01, 2017 19:00:04] Another multi-line message was logged",
                                  "Some random message", "with some random words", NULL};
    check_starts(failures_, "\\[%b %d, %Y %H:%M:%S\\]", NULL, docker, "yynn");
    const char *const iso[] = {"[2026-11-22 10:00:00] first", "  at a", "[2026-11-22 10:00:01] second",
                               "2026-11-22 10:00:02 unbracketed", NULL};
    check_starts(failures_, "\\[%Y-%m-%d %H:%M:%S\\]", NULL, iso, "ynyn");
    const char *const clock12[] = {"Mon 09:30:00 PM UTC x", "Tue 13:30:00 PM UTC (not a 12-hour clock)", NULL};
    check_starts(failures_, "%a %I:%M:%S %p %Z", NULL, clock12, "yn");
    const char *const info[] = {"INFO A message was logged", "INFO Another multi-line message was logged",
                                "    Some random message", NULL};
    check_starts(failures_, NULL, "^INFO", info, "yyn");
    /* back-references and repetition blow-ups are refused up front */
    struct logjoin j;
    struct error err;
    CHECK(logjoin_init(&j, NULL, "^(a)\\1", 100, &err) < 0);
    CHECK(logjoin_init(&j, NULL, "((a{1,100}){1,100})", 100, &err) < 0);
}

TEST(jsonlog_sizes)
{
    int64_t v;
    struct error err;
    CHECK(jsonlog_parse_size("1024", &v, &err) == 0 && v == 1024);
    CHECK(jsonlog_parse_size("1k", &v, &err) == 0 && v == 1024);
    CHECK(jsonlog_parse_size("10m", &v, &err) == 0 && v == 10 * 1024 * 1024);
    CHECK(jsonlog_parse_size("1m", &v, &err) == 0 && v == 1048576);
    CHECK(jsonlog_parse_size("2G", &v, &err) == 0 && v == 2LL * 1024 * 1024 * 1024);
    CHECK(jsonlog_parse_size("1.5KB", &v, &err) == 0 && v == 1536);
    CHECK(jsonlog_parse_size("", &v, &err) < 0);
    CHECK(jsonlog_parse_size("m", &v, &err) < 0);
    CHECK(jsonlog_parse_size("-1k", &v, &err) < 0);
    CHECK(jsonlog_parse_size("10q", &v, &err) < 0);
    CHECK(jsonlog_parse_size("99999999999g", &v, &err) < 0);
}

TEST(jsonlog_encoding)
{
    char buf[256];
    const char *t = "2026-11-22T02:00:00.123456789+00:00";
    ssize_t n = jsonlog_encode("a \"q\" \\ \t\x01", 10, true, false, t, strlen(t), buf, sizeof(buf));
    CHECK(n > 0 && (size_t)n == strlen(buf));
    CHECK_STR(buf, "{\"log\":\"a \\\"q\\\" \\\\ \\t\\u0001\\n\",\"stream\":\"stdout\","
                   "\"time\":\"2026-11-22T02:00:00.123456789Z\"}\n");
    n = jsonlog_encode("x", 1, false, true, "2026-11-22T02:00:00Z", 20, buf, sizeof(buf));
    CHECK_STR(buf, "{\"log\":\"x\",\"stream\":\"stderr\",\"time\":\"2026-11-22T02:00:00Z\"}\n");
    /* UTF-8 passes through untouched */
    n = jsonlog_encode("h\xc3\xa9", 3, true, false, "2026-11-22T02:00:00Z", 20, buf, sizeof(buf));
    CHECK(n > 0 && strstr(buf, "h\xc3\xa9\\n") != NULL);
    CHECK(jsonlog_encode("abc", 3, true, false, t, strlen(t), buf, 20) < 0);
}
