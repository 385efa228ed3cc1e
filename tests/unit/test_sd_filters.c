/* Unit tests: Cloud Map's filter conditions and the ids its ARNs carry. */
#include <jansson.h>

#include "common/cleanup.h"
#include "server/servicediscovery/sd.h"
#include "test.h"

static bool matches(const char *filter, const char *value)
{
    _cleanup_json_ json_t *f = json_loads(filter, 0, NULL);
    return sd_filter_match(f, value);
}

TEST(sd_filter_conditions)
{
    CHECK(matches("{\"Values\": [\"HTTP\"]}", "HTTP"));
    CHECK(!matches("{\"Values\": [\"HTTP\"]}", "DNS_PRIVATE"));
    CHECK(matches("{\"Values\": [\"a\", \"b\"], \"Condition\": \"IN\"}", "b"));
    CHECK(matches("{\"Values\": [\"app.\"], \"Condition\": \"BEGINS_WITH\"}", "app.local"));
    CHECK(!matches("{\"Values\": [\"app.\"], \"Condition\": \"BEGINS_WITH\"}", "ap"));
    CHECK(matches("{\"Values\": [\"100\", \"200\"], \"Condition\": \"BETWEEN\"}", "150"));
    CHECK(!matches("{\"Values\": [\"100\", \"200\"], \"Condition\": \"BETWEEN\"}", "250"));
    CHECK(!matches("{\"Values\": [\"100\"], \"Condition\": \"BETWEEN\"}", "100"));
}

TEST(sd_ids_of_arns)
{
    CHECK_STR(sd_id_of("ns-0123456789abcdef"), "ns-0123456789abcdef");
    CHECK_STR(sd_id_of("arn:aws:servicediscovery:us-east-1:000000000000:service/srv-0123456789abcdef"),
              "srv-0123456789abcdef");
    CHECK_STR(sd_id_of(NULL), "");
}
