/* test_regex_guard.c - what keeps user-supplied EREs cheap under glibc,
 * and the log format names. */
#include "common/log.h"
#include "common/regex_guard.h"
#include "test.h"

TEST(regex_guard_refuses_backrefs_and_repetition_blowups)
{
    CHECK(!regex_too_costly("^(INFO|WARN) [0-9]{4}-[0-9]{2}"));
    CHECK(!regex_too_costly("a{1000}"));
    CHECK(!regex_too_costly("\\\\1")); /* an escaped backslash, then '1' */
    CHECK(regex_too_costly("(a)\\1"));
    CHECK(regex_too_costly("a{1001}"));
    CHECK(regex_too_costly("a{1,5000}"));
    CHECK(regex_too_costly("((a{1,100}){1,100})"));
    CHECK(!regex_too_costly("(a{0}){1,1000}"));
}

TEST(log_format_names)
{
    enum log_format f;
    CHECK(log_parse_format("json", &f) == 0 && f == LOG_FORMAT_JSON);
    CHECK(log_parse_format("text", &f) == 0 && f == LOG_FORMAT_TEXT);
    CHECK(log_parse_format("yaml", &f) < 0);
}
