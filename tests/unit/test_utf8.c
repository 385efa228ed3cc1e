/* Unit tests: UTF-8 validation and sanitising. */
#include "common/utf8.h"
#include "test.h"

TEST(utf8_valid_and_invalid)
{
    CHECK(utf8_valid("plain"));
    CHECK(utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\xa2"));
    CHECK(!utf8_valid("bad \xff"));
    CHECK(!utf8_valid("overlong \xc0\xaf"));
    CHECK(!utf8_valid("surrogate \xed\xa0\x80"));
    CHECK(!utf8_valid("truncated \xe2\x82"));
}

TEST(utf8_sanitize_replaces_bad_bytes)
{
    char s[] = "D\xe4scribe\xff";
    utf8_sanitize(s);
    CHECK_STR(s, "D?scribe?");
    CHECK(utf8_length("caf\xc3\xa9") == 4);
}
