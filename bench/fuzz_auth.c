/* fuzz_auth.c - libFuzzer target for what identity reads from strangers:
 * the first byte picks the Authorization header parser, the whole SigV4
 * check of a request (header or presigned query form, against one known
 * key), or an IAM policy document compiled and evaluated.  Any input must
 * be refused with a message or accepted, never crash or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/auth.h"
#include "server/http/sigv4_parse.h"
#include "server/iam/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One known key; a session token hash so the temporary-credential path runs too. */
static int lookup(void *cookie, const char *id, struct api_key *ret)
{
    (void)cookie;
    if (strcmp(id, "AKIAFUZZFUZZFUZZFUZZ") != 0 && strcmp(id, "ASIAFUZZFUZZFUZZFUZZ") != 0)
        return 0;
    memset(ret, 0, sizeof(*ret));
    snprintf(ret->secret, sizeof(ret->secret), "fuzzsecretfuzzsecret");
    snprintf(ret->principal, sizeof(ret->principal), "arn:aws:iam::000000000000:root");
    if (id[1] == 'S') {
        memset(ret->session_token_sha256, 'a', 64);
        ret->expires_at = 1796299300LL * 1000000;
    }
    return 1;
}

static const char *header(void *cookie, const char *lname)
{
    if (strcmp(lname, "x-amz-date") == 0)
        return "20261203T120000Z";
    if (strcmp(lname, "host") == 0)
        return "127.0.0.1:7480";
    if (strcmp(lname, "x-amz-content-sha256") == 0)
        return cookie;
    return NULL;
}

static void check_request(const char *text)
{
    /* The same text as Authorization header, as query string and as a
     * claimed payload hash. */
    struct api_request req = {.method = "POST",
                              .path = "/",
                              .query = text,
                              .header = header,
                              .cookie = (void *)text,
                              .authorization = text,
                              .body = "{}",
                              .body_len = 2};
    struct api_keys keys = {lookup, NULL};
    struct auth_result who;
    struct error err;
    (void)auth_check(&req, &keys, 1796299200LL * 1000000, &who, &err);
}

static void check_policy(const char *text, size_t len)
{
    struct policy *p = NULL;
    struct error err;
    if (policy_compile(text, len, &p, &err) < 0)
        return;
    const char *v[] = {"arn:aws:ecs:us-east-1:000000000000:cluster/a", "x"};
    struct policy_key keys[] = {{"ecs:cluster", v, 1}, {"aws:TagKeys", v, 2}};
    struct policy_request r = {"ecs:RunTask", "arn:aws:ecs:us-east-1:000000000000:task/a/0123", keys, 2};
    (void)policy_evaluate(p, &r);
    policy_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    struct sigv4_auth a;
    struct error err;
    switch (data[0] % 3) {
    case 0: (void)sigv4_parse_authorization(text, &a, &err); break;
    case 1: check_request(text); break;
    case 2: check_policy(text, size - 1); break;
    }
    free(text);
    return 0;
}
