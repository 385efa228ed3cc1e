/* Unit tests: CloudWatch Logs filter patterns. */
#include <string.h>

#include "server/logs/logs_filter.h"
#include "test.h"

static int matches(const char *pattern, const char *msg)
{
    struct logs_filter *f = NULL;
    struct error err;
    if (logs_filter_parse(pattern, &f, &err) < 0)
        return -1;
    int r = logs_filter_match(f, msg, strlen(msg)) ? 1 : 0;
    logs_filter_free(f);
    return r;
}

TEST(logs_filter_empty_matches_all)
{
    CHECK(matches(NULL, "anything") == 1);
    CHECK(matches("", "anything") == 1);
    CHECK(matches("   ", "anything") == 1);
}

TEST(logs_filter_terms_all_required_case_sensitive)
{
    CHECK(matches("ERROR", "[ERROR 400] BAD REQUEST") == 1);
    CHECK(matches("ERROR", "[error 400] bad request") == 0);
    CHECK(matches("ERROR 400", "[ERROR 400] BAD REQUEST") == 1);
    CHECK(matches("ERROR 500", "[ERROR 400] BAD REQUEST") == 0);
}

TEST(logs_filter_quoted_phrase)
{
    CHECK(matches("\"BAD REQUEST\"", "[ERROR 400] BAD REQUEST") == 1);
    CHECK(matches("\"REQUEST BAD\"", "[ERROR 400] BAD REQUEST") == 0);
    CHECK(matches("\"400]\" ERROR", "[ERROR 400] BAD REQUEST") == 1);
    CHECK(matches("\"unterminated", "x") == -1);
}

TEST(logs_filter_exclusion_and_any)
{
    CHECK(matches("ERROR -ARGUMENTS", "ERROR bad input") == 1);
    CHECK(matches("ERROR -ARGUMENTS", "ERROR ARGUMENTS missing") == 0);
    CHECK(matches("ERROR -\"BAD REQUEST\"", "ERROR BAD REQUEST") == 0);
    CHECK(matches("?ERROR ?WARN", "WARN disk") == 1);
    CHECK(matches("?ERROR ?WARN", "INFO ok") == 0);
    CHECK(matches("disk ?ERROR ?WARN", "WARN cpu") == 0);
    CHECK(matches("disk ?ERROR ?WARN", "WARN disk") == 1);
}

TEST(logs_filter_regex_and_unsupported)
{
    CHECK(matches("%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST") == 1);
    CHECK(matches("%^\\[SUCCESS%", "[SUCCESS 200] AUTHORIZED REQUEST") == 1);
    CHECK(matches("%^\\[SUCCESS%", "[ERROR 200]") == 0);
    CHECK(matches("{ $.level = \"error\" }", "{}") == -1);
    CHECK(matches("[ip, user]", "1.2.3.4 bob") == -1);
    CHECK(matches("-", "x") == -1);
    CHECK(matches("%a{2,3}b%", "xaab") == 1);
    CHECK(matches("%((a{1,30000}){1,30000})%", "a") == -1);
    CHECK(matches("%((a{1,40}){1,40})%", "a") == -1);
    CHECK(matches("%(a)\\1%", "aa") == -1);
}

TEST(logs_filter_binary_message)
{
    struct logs_filter *f = NULL;
    struct error err;
    CHECK(logs_filter_parse("tail", &f, &err) == 0);
    const char msg[] = "head\0tail";
    CHECK(logs_filter_match(f, msg, sizeof(msg) - 1));
    logs_filter_free(f);
}
