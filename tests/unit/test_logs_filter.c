/* Unit tests: CloudWatch Logs filter patterns. */
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server/logs/logs_filter.h"
#include "server/logs/logs_regex.h"
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

/* The regex engine against glibc's POSIX matcher, which berth used
 * before: the same answers on ordinary expressions. */
TEST(logs_regex_agrees_with_posix)
{
    static const char *const patterns[] = {
        "abc",     "^abc",      "abc$",          "^$",     "a|b",        "(ab|cd)+e",  "colou?r", "a{2,3}b",
        "a{2}",    "a{2,}",     "[hc]at",        "[^a-z]", "[a-cx-z]+$", "x.*y",       "(a*)*b",  "(a|b)*c",
        "^(a+)+$", "\\.",       "\\[SUCC",       "[]a]",   "[a-]",       "(|a)b",      "a(b|)c",  "ERROR|WARN",
        "^a|b$",   "(^a)|(b$)", "[0-9]{1,3}",    "()",     "a**",        "(ab){0,2}c", "[.]x",    "a+?",
        "^\\[",    "x{0}y",     "(a|ab)(c|bcd)", "[[]",    "a{1,2}{2}",  "^.*$",       "a.c",     "(a)|b|(c)",
    };
    static const char *const messages[] = {
        "",    "a",   "b",   "ab",     "abc", "xabcx", "color", "colour",  "aab", "aaab", "hat",
        "cat", "Cat", "xyz", "AZ",     "x-y", "aaaa",  "c",     "abababe", "cde", "a.b",  "[SUCCESS",
        "]",   "-",   "ERR", "WARN x", "b a", "123",   "ac",    "abcd",    "[",   "x",    "ab\ncd",
    };
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        regex_t posix;
        CHECK(regcomp(&posix, patterns[i], REG_EXTENDED | REG_NOSUB) == 0);
        struct logs_regex *re = NULL;
        struct error err;
        CHECK(logs_regex_compile(patterns[i], strlen(patterns[i]), &re, &err) == 0);
        if (!re) {
            fprintf(stderr, "  pattern %s: %s\n", patterns[i], err.msg);
            regfree(&posix);
            continue;
        }
        for (size_t j = 0; j < sizeof(messages) / sizeof(messages[0]); j++) {
            bool want = regexec(&posix, messages[j], 0, NULL, 0) == 0;
            bool got = logs_regex_match(re, messages[j], strlen(messages[j]));
            if (want != got)
                fprintf(stderr, "  /%s/ on \"%s\": posix %d, berth %d\n", patterns[i], messages[j], want, got);
            CHECK(want == got);
        }
        logs_regex_free(re);
        regfree(&posix);
    }
}

TEST(logs_regex_classes_and_errors)
{
    CHECK(matches("%\\d{3}%", "code 404") == 1);
    CHECK(matches("%\\d{3}%", "code 40") == 0);
    CHECK(matches("%^\\w+$%", "abc_09") == 1);
    CHECK(matches("%^\\w+$%", "abc-09") == 0);
    CHECK(matches("%\\s%", "a b") == 1);
    CHECK(matches("%^\\S+$%", "a b") == 0);
    CHECK(matches("%[\\d_]x%", "_x") == 1);
    CHECK(matches("%a\\Db%", "a-b") == 1);
    CHECK(matches("%a\\Db%", "a1b") == 0);
    CHECK(matches("%(ab%", "ab") == -1);
    CHECK(matches("%ab)%", "ab") == -1);
    CHECK(matches("%[ab%", "ab") == -1);
    CHECK(matches("%*a%", "a") == -1);
    CHECK(matches("%a{3,2}%", "a") == -1);
    CHECK(matches("%a\\%", "a") == -1);
    CHECK(matches("%\\q%", "q") == -1);
    CHECK(matches("%[z-a]%", "q") == -1);
    /* NULs are ordinary bytes. */
    struct logs_filter *f = NULL;
    struct error err;
    CHECK(logs_filter_parse("%d.t$%", &f, &err) == 0);
    const char msg[] = "head\0tail";
    CHECK(logs_filter_match(f, msg, sizeof(msg) - 1) == false);
    CHECK(logs_filter_match(f, "head\0dat", 8) == true);
    logs_filter_free(f);
}

/* Expressions that take exponential time in a backtracking matcher take
 * linear time here: a long run of a's, then a byte that makes each fail. */
TEST(logs_regex_pathological_is_linear)
{
    static const char *const bad[] = {"%(a+)+$%", "%(a*)*b%", "%(a|a)*c%", "%(a|aa)+$%", "%^(a?){30}a{30}$%"};
    size_t len = 100000;
    char *msg = malloc(len + 2);
    CHECK(msg != NULL);
    if (!msg)
        return;
    memset(msg, 'a', len);
    msg[len] = '!';
    msg[len + 1] = '\0';
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct logs_filter *f = NULL;
        struct error err;
        CHECK(logs_filter_parse(bad[i], &f, &err) == 0);
        if (!f)
            continue;
        CHECK(logs_filter_match(f, msg, len + 1) == false); /* the '!' spoils every one */
        /* Without the '!', the anchored ones match. */
        CHECK(logs_filter_match(f, msg, len) == (i == 0 || i == 3));
        logs_filter_free(f);
    }
    free(msg);
}
