/* Unit tests: task ids are 32 lowercase hex characters, the later one
 * sorts after the earlier (they lead with the time in ms), and two made at
 * once still differ (80 random bits). */
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "common/ids.h"
#include "test.h"

static bool all_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

TEST(ids_time_hex_sorts_by_time_and_differs)
{
    char a[33], b[33], c[33];
    CHECK(ids_time_hex(a) == 0);
    CHECK(ids_time_hex(b) == 0);
    usleep(2000);
    CHECK(ids_time_hex(c) == 0);
    CHECK(strlen(a) == 32 && all_hex(a));
    CHECK(strlen(c) == 32 && all_hex(c));
    CHECK(strcmp(a, b) != 0);
    CHECK(strcmp(a, c) < 0);
    CHECK(strcmp(b, c) < 0);
    /* The random tail is not the time: it differs between a and b. */
    CHECK(strcmp(a + 12, b + 12) != 0);
}

TEST(ids_derived_hex_is_sha256_prefix_of_whole_id)
{
    char h[18], g[18];
    /* sha256("abc") = ba7816bf8f01cfea414140de5dae2223... */
    ids_derived_hex("abcdef", 3, h, 17);
    CHECK(strcmp(h, "ba7816bf8f01cfea4") == 0);
    /* Two ids with the same first characters get different names. */
    ids_derived_hex("0193a8b2c4d1aaaa", 16, h, 10);
    ids_derived_hex("0193a8b2c4d1bbbb", 16, g, 10);
    CHECK(strlen(h) == 10 && all_hex(h));
    CHECK(strcmp(h, g) != 0);
}
