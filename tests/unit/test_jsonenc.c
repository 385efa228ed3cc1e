/* Unit tests: the direct JSON writer reads back, through jansson, as what
 * was written, escapes as json-file always has, and stops at its limit. */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>

#include "common/jsonenc.h"
#include "test.h"

TEST(jsonenc_every_ascii_byte_reads_back)
{
    char all[128];
    for (int i = 0; i < 128; i++)
        all[i] = (char)i; /* NUL included: JSON spells it \u0000 */
    const char utf8[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\xa2 \"q\" \\ /";
    struct jsonenc e;
    jsonenc_init(&e, 1 << 20);
    jsonenc_literal(&e, "{\"all\":");
    jsonenc_string(&e, all, sizeof(all));
    jsonenc_literal(&e, ",\"utf8\":");
    jsonenc_string(&e, utf8, sizeof(utf8) - 1);
    jsonenc_literal(&e, ",\"n\":");
    jsonenc_int(&e, -9223372036854775807LL - 1);
    jsonenc_literal(&e, "}");
    CHECK(!jsonenc_failed(&e));
    CHECK(e.b.len == strlen(e.b.data));
    json_error_t jerr;
    json_t *j = json_loadb(e.b.data, e.b.len, JSON_ALLOW_NUL, &jerr);
    CHECK(j != NULL);
    json_t *a = json_object_get(j, "all");
    CHECK(json_string_length(a) == sizeof(all) && memcmp(json_string_value(a), all, sizeof(all)) == 0);
    CHECK_STR(json_string_value(json_object_get(j, "utf8")), utf8);
    CHECK(json_integer_value(json_object_get(j, "n")) == -9223372036854775807LL - 1);
    /* the size it predicts is the size it writes */
    size_t before = e.b.len;
    jsonenc_string(&e, all, sizeof(all));
    CHECK(e.b.len - before == jsonenc_string_size(all, sizeof(all)));
    /* the escapes themselves (json-file's, byte for byte, as before) */
    const char some[] = "\x01\x1f\x7f\"\\\b\f\n\r\t/\xc3\xa9";
    before = e.b.len;
    jsonenc_string(&e, some, sizeof(some) - 1);
    CHECK_STR(e.b.data + before, "\"\\u0001\\u001f\\u007f\\\"\\\\\\b\\f\\n\\r\\t/\xc3\xa9\"");
    json_decref(j);
    jsonenc_free(&e);
}

TEST(jsonenc_stops_at_its_limit)
{
    struct jsonenc e;
    jsonenc_init(&e, 8);
    jsonenc_string(&e, "\x01", 1); /* "\u0001": 8 bytes, just fits */
    CHECK(!jsonenc_failed(&e) && e.b.len == 8);
    jsonenc_literal(&e, ",");
    CHECK(jsonenc_failed(&e));
    jsonenc_literal(&e, "x"); /* sticky: nothing more is written */
    CHECK(e.b.len == 8);
    jsonenc_free(&e);
    jsonenc_free(&e); /* safe twice */
}

TEST(jsonenc_int_matches_printf)
{
    const int64_t vs[] = {0, 7, -1, 10, -10, 99, 1733500000123LL, INT64_MAX, INT64_MIN, INT64_MIN + 1};
    for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
        struct jsonenc e;
        char want[32];
        jsonenc_init(&e, 64);
        jsonenc_int(&e, vs[i]);
        snprintf(want, sizeof(want), "%" PRId64, vs[i]);
        CHECK_STR(e.b.data, want);
        jsonenc_free(&e);
    }
}
