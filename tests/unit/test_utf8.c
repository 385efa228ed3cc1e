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

TEST(utf8_decode_code_points)
{
    uint32_t cp = 0;
    CHECK(utf8_decode("A", 1, &cp) == 1 && cp == 'A');
    CHECK(utf8_decode("\xc3\xa9", 2, &cp) == 2 && cp == 0xe9);
    CHECK(utf8_decode("\xe2\x82\xac", 3, &cp) == 3 && cp == 0x20ac);
    CHECK(utf8_decode("\xf0\x9f\x9a\xa2", 4, &cp) == 4 && cp == 0x1f6a2);
    CHECK(utf8_decode("\xf4\x8f\xbf\xbf", 4, &cp) == 4 && cp == 0x10ffff);
    CHECK(utf8_decode("\xf4\x90\x80\x80", 4, &cp) == 0); /* past U+10FFFF */
    CHECK(utf8_decode("\xe0\x9f\xbf", 3, &cp) == 0);     /* overlong */
    CHECK(utf8_decode("\xed\xbf\xbf", 3, &cp) == 0);     /* surrogate */
    CHECK(utf8_decode("\xf0\x9f\x9a\xa2", 3, &cp) == 0); /* cut short */
    CHECK(utf8_decode("\x80", 1, &cp) == 0);
}
