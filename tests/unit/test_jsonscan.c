/* Unit tests: reading JSON in place (jsonscan) and a PutLogEvents batch
 * read from text giving what the jansson reader gives. */
#include <string.h>

#include "common/jsonscan.h"
#include "server/http/json_protocol.h"
#include "server/logs/logs_batch.h"
#include "test.h"

TEST(jsonscan_strings_numbers_and_skips)
{
    struct jsonscan s;
    char out[32];
    size_t len;
    const char *t = " \"a\\u00e9\\ud83d\\ude80\\n\\u0000z\" ";
    jsonscan_init(&s, t, strlen(t));
    CHECK(jsonscan_string(&s, out, sizeof(out), &len) == 0);
    CHECK(len == 10 && memcmp(out, "a\xc3\xa9\xf0\x9f\x9a\x80\n\0z", 10) == 0);
    CHECK(jsonscan_at_end(&s));
    const char *bad[] = {"\"\\ud800\"",         "\"\x01\"", "\"\xff\"",  "\"abc", "0123",
                         "9223372036854775808", "[1,]",     "{\"a\" 1}", "tru"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        jsonscan_init(&s, bad[i], strlen(bad[i]));
        CHECK(jsonscan_skip(&s) < 0 || !jsonscan_at_end(&s));
    }
    bool integer;
    int64_t v;
    jsonscan_init(&s, "-9223372036854775808", 20);
    CHECK(jsonscan_number(&s, &integer, &v) == 0 && integer && v == INT64_MIN);
    jsonscan_init(&s, "1.5e3", 5);
    CHECK(jsonscan_number(&s, &integer, &v) == 0 && !integer);
    const char *ok = "{\"a\": [1, -2.5e-3, true, false, null, {\"b\": \"c\"}], \"d\": {}}";
    jsonscan_init(&s, ok, strlen(ok));
    CHECK(jsonscan_skip(&s) == 0 && jsonscan_at_end(&s));
}

/* The same batch through both readers: same events, or the same error. */
static void both(int *failures_, const char *text, const char *want_error)
{
    struct error e1, e2;
    json_t *arr = json_loads(text, JSON_ALLOW_NUL, NULL);
    CHECK(arr != NULL);
    struct logs_batch a = {0}, b = {0};
    int r1 = logs_batch_from_json(arr, &a, &e1);
    int r2 = logs_batch_from_text(text, strlen(text), &b, &e2);
    CHECK(r1 == r2);
    if (r1 < 0) {
        CHECK_STR(e1.msg, e2.msg);
        CHECK(strstr(e1.msg, want_error) != NULL);
    } else {
        CHECK(a.n == b.n);
        for (size_t i = 0; i < a.n && a.n == b.n; i++)
            CHECK(a.ev[i].ts == b.ev[i].ts && a.ev[i].len == b.ev[i].len &&
                  memcmp(a.ev[i].message, b.ev[i].message, a.ev[i].len) == 0);
    }
    logs_batch_free(&a);
    logs_batch_free(&b);
    json_decref(arr);
}

TEST(logs_batch_text_reads_as_json_does)
{
    both(failures_,
         "[{\"timestamp\": 5, \"message\": \"a\\u0000b\"}, {\"message\": \"\\u00e9\", \"x\": [1], \"timestamp\": 5}]",
         NULL);
    both(failures_, "[]", "length between 1 and 10000");
    both(failures_, "[{\"timestamp\": 1, \"message\": \"\"}]", "logEvents[0]");
    both(failures_, "[{\"timestamp\": 1, \"message\": \"a\"}, {\"timestamp\": 1.0, \"message\": \"a\"}]",
         "logEvents[1]");
    both(failures_, "[{\"timestamp\": -1, \"message\": \"a\"}]", "logEvents[0]");
    both(failures_, "[{\"timestamp\": 1, \"message\": 7}]", "logEvents[0]");
    both(failures_, "[3]", "logEvents[0]");
    both(failures_, "[{\"timestamp\": 2, \"message\": \"a\"}, {\"timestamp\": 1, \"message\": \"b\"}]",
         "chronological");
    both(failures_, "[{\"timestamp\": 1, \"message\": \"a\"}, {\"timestamp\": 90000000, \"message\": \"b\"}]",
         "24 hours");
}

/* The dispatcher's reading of a body with a raw member. */
static int parse_raw(const char *body, json_t **in, const char **raw, size_t *raw_len, struct error *err)
{
    struct api_request req = {.body = body, .body_len = strlen(body)};
    return json_protocol_parse_raw(&req, "logEvents", in, raw, raw_len, err);
}

TEST(json_protocol_parse_raw_leaves_one_member_as_text)
{
    json_t *in = NULL;
    const char *raw = NULL;
    size_t raw_len = 0;
    struct error err;
    CHECK(parse_raw("{\"logGroupName\": \"g\", \"offset\": 7, \"logEvents\": [{\"a\": 1}] }", &in, &raw, &raw_len,
                    &err) == 0);
    CHECK_STR(json_string_value(json_object_get(in, "logGroupName")), "g");
    CHECK(json_integer_value(json_object_get(in, "offset")) == 7 && !json_object_get(in, "logEvents"));
    CHECK(raw_len == 10 && memcmp(raw, "[{\"a\": 1}]", 10) == 0);
    json_decref(in);
    const char *bad[] = {"{\"a\": 1, \"a\": 2}", "{\"logEvents\": [], \"logEvents\": []}", "[1]", "{\"a\": [}",
                         "{\"a\": 1} x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        in = NULL;
        CHECK(parse_raw(bad[i], &in, &raw, &raw_len, &err) < 0 && err.kind == API_ERR_SERIALIZATION && !in);
    }
}

/* The raw member is skipped by its shape; its reader checks the rest. */
TEST(jsonscan_skip_shape_ends_where_the_value_does)
{
    const struct {
        const char *text;
        int rc;
        size_t end;
    } cases[] = {
        {"[{\"m\": \"a]\\\"}\"}], 1", 0, 16}, /* brackets and an escaped quote inside a string */
        {"\"a\\\\\", 2", 0, 5},               /* an escaped backslash, then the closing quote */
        {"[[1,2],[3]]x", 0, 11},              /* nested, then whatever follows */
        {"12345 ,", 0, 5},                    /* a scalar ends at a space */
        {"tru}", 0, 3},                       /* a scalar ends at its container's bracket */
        {"}", -1, 0},                         /* nothing before it */
        {"[{\"a\": 1}", -1, 0},               /* unbalanced */
        {"[\"abc]", -1, 0},                   /* unterminated string */
        {"[\"abc\\\"]", -1, 0},               /* its quote escaped */
        {"", -1, 0},
        {",", -1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct jsonscan s;
        jsonscan_init(&s, cases[i].text, strlen(cases[i].text));
        int rc = jsonscan_skip_shape(&s);
        CHECK(rc == cases[i].rc);
        if (rc == 0 && cases[i].rc == 0)
            CHECK(jsonscan_pos(&s) == cases[i].end);
    }
    char deep[600];
    memset(deep, '[', 300);
    memset(deep + 300, ']', 300);
    struct jsonscan s;
    jsonscan_init(&s, deep, sizeof(deep));
    CHECK(jsonscan_skip_shape(&s) == -1);
    /* Shape-whole but malformed inside: the batch reader refuses it. */
    struct logs_batch b;
    struct error err;
    const char *inside = "[{\"timestamp\": 01, \"message\": \"x\"}]";
    CHECK(logs_batch_from_text(inside, strlen(inside), &b, &err) < 0 && err.kind == API_ERR_SERIALIZATION);
}
