/* Unit tests: the AWS query protocol codec - form bodies decoded into the
 * JSON input the model describes (structures, member lists, flattened
 * lists, maps, integers, booleans), replies written as XML from the
 * output shape, and errors in <ErrorResponse> with the query codes. */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/query_protocol.h"
#include "server/http/service_model.h"
#include "test.h"

static void service_model_freep(struct service_model **m) { service_model_free(*m); }

static const char model_text[] =
    "{\"metadata\":{\"xmlNamespace\":\"https://example.com/doc/\"},"
    "\"operations\":{\"Op\":{\"input\":\"OpIn\",\"output\":\"OpOut\",\"resultWrapper\":\"OpResult\"},"
    "\"Bare\":{}},"
    "\"shapes\":{"
    "\"OpIn\":{\"type\":\"structure\",\"members\":{\"Name\":{\"shape\":\"Str\"},\"Count\":{\"shape\":\"Int\"},"
    "\"Flag\":{\"shape\":\"Bool\"},\"Items\":{\"shape\":\"StrList\"},\"Flat\":{\"shape\":\"FlatList\"},"
    "\"Map\":{\"shape\":\"StrMap\"},\"Sub\":{\"shape\":\"Sub\"},\"Subs\":{\"shape\":\"SubList\"}}},"
    "\"OpOut\":{\"type\":\"structure\",\"members\":{\"Users\":{\"shape\":\"SubList\"},"
    "\"IsTruncated\":{\"shape\":\"Bool\"},\"When\":{\"shape\":\"Time\"},\"Map\":{\"shape\":\"StrMap\"},"
    "\"Count\":{\"shape\":\"Int\"}}},"
    "\"Sub\":{\"type\":\"structure\",\"members\":{\"Key\":{\"shape\":\"Str\"},\"Value\":{\"shape\":\"Str\"}}},"
    "\"SubList\":{\"type\":\"list\",\"member\":{\"shape\":\"Sub\"}},"
    "\"StrList\":{\"type\":\"list\",\"member\":{\"shape\":\"Str\"}},"
    "\"FlatList\":{\"type\":\"list\",\"member\":{\"shape\":\"Str\"},\"flattened\":true},"
    "\"StrMap\":{\"type\":\"map\",\"key\":{\"shape\":\"Str\"},\"value\":{\"shape\":\"Str\"}},"
    "\"Str\":{\"type\":\"string\"},\"Int\":{\"type\":\"integer\"},\"Bool\":{\"type\":\"boolean\"},"
    "\"Time\":{\"type\":\"timestamp\"}}}";

static struct service_model *model(void)
{
    struct service_model *m = NULL;
    struct error err;
    if (service_model_load(model_text, sizeof(model_text) - 1, &m, &err) < 0)
        fprintf(stderr, "model: %s\n", err.msg);
    return m;
}

/* The input decoded from body, as compact JSON with sorted keys (or the
 * error message). */
static char *decode(struct service_model *m, const char *body)
{
    struct error err;
    _cleanup_json_ json_t *form = NULL, *in = NULL;
    if (query_form_parse(body, strlen(body), &form, &err) < 0 || query_protocol_input(m, "Op", form, &in, &err) < 0)
        return strdup(err.msg);
    return json_dumps(in, JSON_COMPACT | JSON_SORT_KEYS);
}

TEST(query_form_parse_decodes_names_and_values)
{
    struct error err;
    const char body[] = "Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fa+b%2F&Empty=&NoValue&&Bad=%zz%4";
    _cleanup_json_ json_t *form = NULL;
    CHECK(query_form_parse(body, strlen(body), &form, &err) == 0);
    CHECK_STR(json_string_value(json_object_get(form, "Action")), "ListUsers");
    CHECK_STR(json_string_value(json_object_get(form, "PathPrefix")), "/a b/");
    CHECK_STR(json_string_value(json_object_get(form, "Empty")), "");
    CHECK_STR(json_string_value(json_object_get(form, "NoValue")), "");
    CHECK_STR(json_string_value(json_object_get(form, "Bad")), "%zz%4");
    _cleanup_json_ json_t *bad = NULL;
    CHECK(query_form_parse("A%00B=1", 7, &bad, &err) < 0 && err.kind == ERR_INVALID);
    _cleanup_json_ json_t *latin1 = NULL;
    CHECK(query_form_parse("A=%FF", 5, &latin1, &err) < 0 && err.kind == ERR_INVALID);
}

TEST(query_input_follows_the_model)
{
    _cleanup_(service_model_freep) struct service_model *m = model();
    CHECK(m != NULL);
    _cleanup_free_ char *all = decode(m, "Action=Op&Name=n&Count=-5&Flag=TRUE&Items.member.1=a&Items.member.2=b"
                                         "&Items.member.4=skipped&Flat.1=f&Map.entry.1.key=k&Map.entry.1.value=v"
                                         "&Sub.Key=sk&Subs.member.1.Key=k1&Subs.member.2.Value=v2&Unknown=x");
    CHECK_STR(all, "{\"Count\":-5,\"Flag\":true,\"Flat\":[\"f\"],\"Items\":[\"a\",\"b\"],\"Map\":{\"k\":\"v\"},"
                   "\"Name\":\"n\",\"Sub\":{\"Key\":\"sk\"},\"Subs\":[{\"Key\":\"k1\"},{\"Value\":\"v2\"}]}");
    _cleanup_free_ char *empty = decode(m, "Action=Op&Items=");
    CHECK_STR(empty, "{\"Items\":[]}");
    _cleanup_free_ char *nothing = decode(m, "Action=Op");
    CHECK_STR(nothing, "{}");
    _cleanup_free_ char *not_int = decode(m, "Count=12x");
    CHECK(strstr(not_int, "'Count'") != NULL);
    _cleanup_free_ char *not_bool = decode(m, "Flag=yes");
    CHECK(strstr(not_bool, "'Flag'") != NULL);
}

/* The reply of out as text, and its status. */
static char *reply(struct service_model *m, const char *op, const char *out_json, int *status)
{
    json_error_t jerr;
    _cleanup_json_ json_t *out = json_loads(out_json, 0, &jerr);
    struct api_response resp = {0};
    snprintf(resp.request_id, sizeof(resp.request_id), "req-1");
    query_protocol_reply(&resp, m, op, out);
    *status = resp.status;
    return resp.body;
}

TEST(query_reply_is_xml_from_the_output_shape)
{
    _cleanup_(service_model_freep) struct service_model *m = model();
    int status = 0;
    _cleanup_free_ char *xml = reply(m, "Op",
                                     "{\"Users\":[{\"Key\":\"a<b&c\"},{\"Value\":\"\\\"q'\"}],\"IsTruncated\":false,"
                                     "\"When\":1700000000.5,\"Map\":{\"k\":\"v\"},\"Count\":3,\"Stray\":1}",
                                     &status);
    CHECK(status == 200);
    CHECK_STR(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<OpResponse xmlns=\"https://example.com/doc/\"><OpResult>"
                   "<Users><member><Key>a&lt;b&amp;c</Key></member><member><Value>&quot;q&apos;</Value></member>"
                   "</Users><IsTruncated>false</IsTruncated><When>2023-11-14T22:13:20Z</When>"
                   "<Map><entry><key>k</key><value>v</value></entry></Map><Count>3</Count></OpResult>"
                   "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></OpResponse>\n");
    _cleanup_free_ char *bare = reply(m, "Bare", "{}", &status);
    CHECK_STR(bare, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BareResponse xmlns=\"https://example.com/doc/\">"
                    "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></BareResponse>\n");
}

TEST(query_errors_carry_the_query_codes)
{
    static const struct api_error own[] = {{API_ERR_MAX + 1, "DeleteConflict", 409}};
    _cleanup_(service_model_freep) struct service_model *m = model();
    struct api_service svc = {.model = m, .errors = own, .nerrors = 1};
    struct {
        int kind;
        const char *code;
        int status;
    } cases[] = {
        {ERR_NOT_FOUND, "NoSuchEntity", 404},
        {ERR_CONFLICT, "EntityAlreadyExists", 409},
        {ERR_LIMIT, "LimitExceeded", 409},
        {ERR_INVALID, "ValidationError", 400},
        {API_ERR_MAX + 1, "DeleteConflict", 409},
        {API_ERR_UNKNOWN_OPERATION, "InvalidAction", 400},
        {API_ERR_UNRECOGNIZED_CLIENT, "InvalidClientTokenId", 403},
        {API_ERR_INVALID_SIGNATURE, "SignatureDoesNotMatch", 403},
        {API_ERR_MISSING_AUTHENTICATION, "MissingAuthenticationToken", 403},
        {API_ERR_ACCESS_DENIED, "AccessDenied", 403},
        {ERR_INTERNAL, "InternalFailure", 500},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        struct api_error e = query_protocol_error_lookup(&svc, cases[i].kind);
        CHECK_STR(e.name, cases[i].code);
        CHECK(e.status == cases[i].status);
    }
    struct error err;
    error_set(&err, ERR_NOT_FOUND, "The user with name <x> cannot be found.");
    struct api_response resp = {0};
    snprintf(resp.request_id, sizeof(resp.request_id), "req-2");
    query_protocol_error(&resp, &svc, &err);
    CHECK(resp.status == 404);
    CHECK_STR(resp.content_type, "text/xml");
    CHECK_STR(resp.body,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"https://example.com/doc/\">"
              "<Error><Type>Sender</Type><Code>NoSuchEntity</Code>"
              "<Message>The user with name &lt;x&gt; cannot be found.</Message></Error>"
              "<RequestId>req-2</RequestId></ErrorResponse>\n");
    free(resp.body);
    error_set(&err, ERR_INTERNAL, "sqlite: disk I/O error");
    query_protocol_error(&resp, NULL, &err);
    CHECK(resp.status == 500 && strstr(resp.body, "<Type>Receiver</Type>") && !strstr(resp.body, "sqlite"));
    free(resp.body);
}
