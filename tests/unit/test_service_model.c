/* Unit tests: the botocore-model validator and SigV4 header parsing. */
#include <jansson.h>

#include "server/http/service_model.h"
#include "server/http/sigv4_parse.h"
#include "test.h"

static const char model_text[] =
    "{\"metadata\":{\"targetPrefix\":\"T\"},\"operations\":{\"Op\":{\"input\":\"In\"}},\"shapes\":{"
    "\"In\":{\"type\":\"structure\",\"required\":[\"name\"],\"members\":{"
    "\"name\":{\"shape\":\"S\"},\"count\":{\"shape\":\"I\"},\"mode\":{\"shape\":\"E\"},"
    "\"items\":{\"shape\":\"L\"},\"flag\":{\"shape\":\"B\"}}},"
    "\"S\":{\"type\":\"string\"},\"I\":{\"type\":\"integer\",\"min\":1,\"max\":10},"
    "\"E\":{\"type\":\"string\",\"enum\":[\"a\",\"b\"]},\"B\":{\"type\":\"boolean\"},"
    "\"L\":{\"type\":\"list\",\"member\":{\"shape\":\"Item\"},\"max\":2},"
    "\"Item\":{\"type\":\"structure\",\"members\":{\"v\":{\"shape\":\"I\"},\"d\":{\"shape\":\"D\"}}},"
    "\"D\":{\"type\":\"double\"}}}";

static int validate(const char *json, struct error *err)
{
    struct service_model *m = NULL;
    if (service_model_load(model_text, sizeof(model_text) - 1, &m, err) < 0)
        return -2;
    json_t *v = json_loads(json, 0, NULL);
    int r = service_model_validate(m, "In", v, err);
    json_decref(v);
    service_model_free(m);
    return r;
}

TEST(shape_accepts_valid)
{
    struct error err;
    CHECK(validate("{\"name\":\"x\",\"count\":3,\"mode\":\"a\",\"items\":[{\"v\":1}],\"flag\":true}", &err) == 0);
}

TEST(shape_required_member)
{
    struct error err;
    CHECK(validate("{\"count\":3}", &err) == -1);
    CHECK(strstr(err.msg, "\"name\"") != NULL);
}

TEST(shape_wrong_type_names_path)
{
    struct error err;
    CHECK(validate("{\"name\":\"x\",\"items\":[{\"v\":\"no\"}]}", &err) == -1);
    CHECK(strstr(err.msg, "items[0].v") != NULL);
    CHECK(err.kind == ERR_INVALID);
}

TEST(shape_enum_and_range)
{
    struct error err;
    CHECK(validate("{\"name\":\"x\",\"mode\":\"c\"}", &err) == -1);
    CHECK(strstr(err.msg, "mode") != NULL);
    CHECK(validate("{\"name\":\"x\",\"count\":11}", &err) == -1);
    CHECK(validate("{\"name\":\"x\",\"count\":1.5}", &err) == -1);
    CHECK(validate("{\"name\":\"x\",\"items\":[{},{},{}]}", &err) == -1);
}

TEST(shape_unknown_and_null_members_dropped)
{
    struct error err;
    CHECK(validate("{\"name\":\"x\",\"bogus\":1,\"count\":null}", &err) == 0);
    CHECK(validate("{\"name\":null}", &err) == -1);
}

/* NaN and the infinities, as the JSON protocols write them (and berth's
 * CBOR decoder gives them), are refused in a number member, named as
 * CloudWatch names it; other text stays a type error. */
TEST(shape_non_finite_numbers_refused)
{
    struct error err;
    CHECK(validate("{\"name\":\"x\",\"items\":[{\"d\":1.5},{\"d\":\"NaN\"}]}", &err) == -1);
    CHECK_STR(err.msg, "The value NaN for parameter items.member.2.d is invalid.");
    CHECK(validate("{\"name\":\"x\",\"items\":[{\"d\":\"-Infinity\"}]}", &err) == -1);
    CHECK_STR(err.msg, "The value -Infinity for parameter items.member.1.d is invalid.");
    CHECK(validate("{\"name\":\"x\",\"items\":[{\"d\":\"nan\"}]}", &err) == -1);
    CHECK(strstr(err.msg, "valid types: number") != NULL);
    CHECK(validate("{\"name\":\"x\",\"items\":[{\"v\":\"Infinity\"}]}", &err) == -1);
    CHECK(strstr(err.msg, "valid types: integer") != NULL);
}

TEST(sigv4_parses_region)
{
    struct sigv4_auth a;
    struct error err;
    const char *h = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-2/ecs/aws4_request, "
                    "SignedHeaders=content-type;host;x-amz-date, "
                    "Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    CHECK(sigv4_parse_authorization(h, &a, &err) == 0);
    CHECK_STR(a.region, "eu-west-2");
    CHECK_STR(a.service, "ecs");
    CHECK_STR(a.access_key, "AKIDEXAMPLE");
    CHECK_STR(a.signed_headers, "content-type;host;x-amz-date");
}

TEST(sigv4_rejects_malformed)
{
    struct sigv4_auth a;
    struct error err;
    CHECK(sigv4_parse_authorization("Basic abc", &a, &err) < 0);
    CHECK(sigv4_parse_authorization("AWS4-HMAC-SHA256 Credential=A/2026/us-east-1/ecs/aws4_request", &a, &err) < 0);
    CHECK(sigv4_parse_authorization("AWS4-HMAC-SHA256 Credential=A/20260101/US_EAST/ecs/aws4_request, "
                                    "SignedHeaders=host, Signature=00",
                                    &a, &err) < 0);
}
