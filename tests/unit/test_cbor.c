/* Unit tests: the CBOR codec of Smithy RPC v2 CBOR (RFC 8949 examples,
 * indefinite lengths, tag 1, refusals, model-driven timestamps). */
#include <string.h>

#include "common/cleanup.h"
#include "server/http/api.h"
#include "server/http/cbor.h"
#include "test.h"

static json_t *dec(const char *bytes, size_t n)
{
    json_t *v = NULL;
    struct error err;
    return cbor_decode((const uint8_t *)bytes, n, &v, &err) == 0 ? v : NULL;
}

#define DEC(lit) dec(lit, sizeof(lit) - 1)

TEST(cbor_decode_values)
{
    _cleanup_json_ json_t *a = DEC("\x19\x03\xe8"); /* 1000 */
    CHECK(json_integer_value(a) == 1000);
    _cleanup_json_ json_t *b = DEC("\x38\x63"); /* -100 */
    CHECK(json_integer_value(b) == -100);
    _cleanup_json_ json_t *c = DEC("\xf9\x3e\x00"); /* half 1.5 */
    CHECK(json_real_value(c) == 1.5);
    _cleanup_json_ json_t *d = DEC("\xfa\x47\xc3\x50\x00"); /* single 100000.0 */
    CHECK(json_real_value(d) == 100000.0);
    _cleanup_json_ json_t *e = DEC("\xbf\x61\x61\x01\x61\x62\x9f\x02\x03\xff\xff"); /* {_ "a":1,"b":[_ 2,3]} */
    CHECK(json_integer_value(json_object_get(e, "a")) == 1 && json_array_size(json_object_get(e, "b")) == 2);
    _cleanup_json_ json_t *f = DEC("\x7f\x65strea\x64ming\xff");
    CHECK_STR(json_string_value(f), "streaming");
    _cleanup_json_ json_t *g = DEC("\xc1\x1a\x51\x4b\x67\xb0"); /* tag 1: 1363896240 */
    CHECK(json_integer_value(g) == 1363896240);
    _cleanup_json_ json_t *h = DEC("\x43\x01\x02\x03"); /* bytes -> base64 */
    CHECK_STR(json_string_value(h), "AQID");
    /* NaN and the infinities as the JSON protocols spell them: the model
     * check refuses them in a number member. */
    _cleanup_json_ json_t *nan = DEC("\xf9\x7e\x00");
    CHECK_STR(json_string_value(nan), "NaN");
    _cleanup_json_ json_t *inf = DEC("\xfb\x7f\xf0\x00\x00\x00\x00\x00\x00");
    CHECK_STR(json_string_value(inf), "Infinity");
    _cleanup_json_ json_t *ninf = DEC("\xfa\xff\x80\x00\x00");
    CHECK_STR(json_string_value(ninf), "-Infinity");
    CHECK(DEC("\xc2\x41\x01") == NULL); /* a bignum tag */
    CHECK(DEC("\xa1\x01\x02") == NULL); /* a non-text key */
    CHECK(DEC("\x1a\x00\x01") == NULL); /* truncated */
    CHECK(DEC("\x01\x02") == NULL);     /* trailing bytes */
    CHECK(DEC("\x9f\x01") == NULL);     /* no break */
    CHECK(DEC("\x62\xc3\x28") == NULL); /* not UTF-8 */
    CHECK(DEC("\x5b\xff\xff\xff\xff\xff\xff\xff\xff") == NULL);
}

TEST(cbor_encode_roundtrip)
{
    _cleanup_json_ json_t *v = json_pack("{s:[i,f,s,b,n], s:I}", "k", -5, 0.25, "x", 1, "big", (json_int_t)1 << 40);
    _cleanup_buf_ struct buf b;
    buf_init(&b, 4096);
    struct error err;
    CHECK(cbor_encode(&b, NULL, NULL, v, &err) == 0);
    _cleanup_json_ json_t *back = dec(b.data, b.len);
    CHECK(back && json_equal(v, back));
}

TEST(cbor_duplicate_keys_refused)
{
    struct error err;
    json_t *v = NULL;
    static const char twice[] = "\xa2\x61\x61\x01\x61\x61\x02"; /* {"a": 1, "a": 2} */
    CHECK(cbor_decode((const uint8_t *)twice, sizeof(twice) - 1, &v, &err) < 0);
    CHECK(err.kind == API_ERR_SERIALIZATION && strstr(err.msg, "twice"));
    static const char nested[] = "\xa1\x61\x6d\xbf\x61\x62\xf5\x61\x62\xf4\xff"; /* {"m": {_ "b": t, "b": f}} */
    CHECK(cbor_decode((const uint8_t *)nested, sizeof(nested) - 1, &v, &err) < 0);
    static const char distinct[] = "\xa2\x61\x61\x01\x61\x62\x02";
    CHECK(cbor_decode((const uint8_t *)distinct, sizeof(distinct) - 1, &v, &err) == 0);
    json_decref(v);
}

/* Output deeper than the limit fails whole; the deepest output that fits
 * still round-trips (the decoder's limit is the encoder's). */
TEST(cbor_encode_depth_fails_not_truncates)
{
    struct error err;
    for (int depth = 60; depth <= 70; depth++) {
        _cleanup_json_ json_t *v = json_integer(1);
        for (int i = 0; i < depth; i++)
            v = json_pack("[o]", v);
        _cleanup_buf_ struct buf b;
        buf_init(&b, 4096);
        int r = cbor_encode(&b, NULL, NULL, v, &err);
        if (depth <= 64) {
            CHECK(r == 0);
            _cleanup_json_ json_t *back = dec(b.data, b.len);
            CHECK(back && json_equal(v, back));
        } else {
            CHECK(r < 0 && err.kind == ERR_INTERNAL);
        }
    }
}
