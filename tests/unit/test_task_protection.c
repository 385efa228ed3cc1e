/* test_task_protection.c - the task endpoint's protection request bodies,
 * refused as ECS's agent refuses them, and when protection is in force. */
#include <string.h>

#include "agent/task/task_protection_ep.h"
#include "common/cleanup.h"
#include "server/ecs/task_protection.h"
#include "test.h"

#define ARN "arn:aws:ecs:us-east-1:000000000000:task/c/0123456789abcdef0123456789abcdef"

/* The error code for a body ("" if accepted); the call's members in *ret_in. */
static const char *parse(const char *body, unsigned *status, json_t **ret_in)
{
    static char code[64];
    json_t *in = NULL, *refused = NULL;
    task_protection_ep_parse(ARN, body, strlen(body), &in, &refused, status);
    code[0] = '\0';
    if (refused) {
        const char *c = json_string_value(json_object_get(json_object_get(refused, "error"), "Code"));
        snprintf(code, sizeof(code), "%s", c ? c : "?");
        json_decref(refused);
    }
    *ret_in = in;
    return code;
}

TEST(task_protection_ep_bodies)
{
    unsigned st = 0;
    json_t *in = NULL;
    CHECK(strcmp(parse("{\"ProtectionEnabled\":true}", &st, &in), "") == 0 && st == 200);
    CHECK(json_is_true(json_object_get(in, "protectionEnabled")) && !json_object_get(in, "expiresInMinutes"));
    json_decref(in);
    CHECK(strcmp(parse("{\"ProtectionEnabled\":true,\"ExpiresInMinutes\":60}", &st, &in), "") == 0);
    CHECK(json_integer_value(json_object_get(in, "expiresInMinutes")) == 60);
    json_decref(in);
    CHECK(strcmp(parse("{\"ProtectionEnabled\":false}", &st, &in), "") == 0);
    CHECK(json_is_false(json_object_get(in, "protectionEnabled")));
    json_decref(in);
    /* Refused: missing field, wrong types, unknown members, not JSON. */
    const char *bad[] = {"null",
                         "{}",
                         "{\"ProtectionEnabled\":1}",
                         "{\"ProtectionEnabled\":true,\"ExpiresInMinutes\":\"5\"}",
                         "{\"ProtectionEnabled\":true,\"ExpiresInMinutes\":1.5}",
                         "{\"ProtectionEnabled\":true,\"UnknownField\":5}",
                         "",
                         "[true]",
                         "{\"ProtectionEnabled\":"};
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        CHECK(strcmp(parse(bad[i], &st, &in), "InvalidParameterException") == 0);
        CHECK(st == 400 && in == NULL);
    }
}

TEST(task_protection_in_force_until_its_end)
{
    usec_t now = 1700000000LL * USEC_PER_SEC;
    CHECK(!task_protection_active(0, now));
    CHECK(task_protection_active(now / USEC_PER_MSEC + 1, now));
    CHECK(!task_protection_active(now / USEC_PER_MSEC, now));
    CHECK(!task_protection_active(now / USEC_PER_MSEC - 60000, now));
}
