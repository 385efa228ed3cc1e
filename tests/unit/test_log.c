/* Unit tests: log lines stay one line (escaping), and the rate limit. */
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "test.h"

static const char *escaped(const char *s, size_t n, char *out, size_t cap)
{
    log_escape(s, n, out, cap);
    return out;
}

TEST(log_escape_control_characters)
{
    char out[256];
    CHECK_STR(escaped("plain text", 10, out, sizeof(out)), "plain text");
    CHECK_STR(escaped("a\nb\rc\td", 7, out, sizeof(out)), "a\\nb\\rc\\td");
    CHECK_STR(escaped("\x1b[31mred", 8, out, sizeof(out)), "\\x1b[31mred");
    CHECK_STR(escaped("del\x7f", 4, out, sizeof(out)), "del\\x7f");
    CHECK_STR(escaped("nul\0x", 5, out, sizeof(out)), "nul\\x00x");
    CHECK_STR(escaped("\x01\x1f", 2, out, sizeof(out)), "\\x01\\x1f");
    /* UTF-8 is text, not control characters. */
    CHECK_STR(escaped("caf\xc3\xa9", 5, out, sizeof(out)), "caf\xc3\xa9");
    /* A forged entry stays inside the line it came in. */
    const char *forged = "x\n2026-01-01T00:00:00.000Z info  api: forged";
    escaped(forged, strlen(forged), out, sizeof(out));
    CHECK(strchr(out, '\n') == NULL);
}

TEST(log_escape_truncates_whole_escapes)
{
    char out[6];
    /* "ab\n" needs 4 bytes + NUL: fits; "ab\ncd" is cut before "d". */
    CHECK_STR(escaped("ab\ncd", 5, out, sizeof(out)), "ab\\nc");
    char tiny[4];
    /* An escape that does not fit is left out whole, never half. */
    CHECK_STR(escaped("ab\x1b", 3, tiny, sizeof(tiny)), "ab");
    CHECK(log_escape("x", 1, tiny, 0) == 0);
}

TEST(log_ratelimit_one_per_interval)
{
    struct log_ratelimit rl = LOG_RATELIMIT_INIT;
    unsigned long held = 99;
    CHECK(log_ratelimit_pass(&rl, USEC_PER_SEC * 3600, &held));
    CHECK(held == 0);
    CHECK(!log_ratelimit_pass(&rl, USEC_PER_SEC * 3600, &held));
    CHECK(!log_ratelimit_pass(&rl, USEC_PER_SEC * 3600, &held));
    /* An interval of 0 lets the next one through, with the count. */
    CHECK(log_ratelimit_pass(&rl, 0, &held));
    CHECK(held == 2);
}
