/* Unit tests: berth computes the same SigV4 signatures botocore does (the
 * expected values were produced by botocore's SigV4Auth / SigV4QueryAuth
 * for these exact requests), and a changed byte changes the signature. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/sigv4.h"
#include "test.h"

#define SECRET "secret/KEY+with=chars"

struct hdrs {
    const char *const *kv; /* name, value, ..., NULL */
};

static const char *lookup(void *cookie, const char *lname)
{
    const struct hdrs *h = cookie;
    for (size_t i = 0; h->kv[i]; i += 2)
        if (strcasecmp(h->kv[i], lname) == 0)
            return h->kv[i + 1];
    return NULL;
}

/* botocore's CreateCluster request of the tests below with this body,
 * signed with these. */
static int sign_json_post_body(const char *secret, const char *amz_date, const char *service, const char *body,
                               char sig[65])
{
    const char *kv[] = {"Content-Type",
                        "application/x-amz-json-1.1",
                        "X-Amz-Target",
                        "AmazonEC2ContainerServiceV20141113.CreateCluster",
                        "X-Amz-Date",
                        amz_date,
                        "Host",
                        "127.0.0.1:7480",
                        NULL};
    struct hdrs h = {kv};
    char hash[65], date[9];
    snprintf(date, sizeof(date), "%.8s", amz_date);
    sigv4_sha256_hex(body, strlen(body), hash);
    struct sigv4_request r = {"POST", "/", "", lookup, &h, hash};
    struct error err;
    return sigv4_signature(&r, "content-type;host;x-amz-date;x-amz-target", false, secret, amz_date, date, "us-east-1",
                           service, sig, &err);
}

#define CREATE_CLUSTER_BODY "{\"clusterName\":\"a b\"}"

static int sign_json_post(const char *secret, const char *amz_date, const char *service, char sig[65])
{
    return sign_json_post_body(secret, amz_date, service, CREATE_CLUSTER_BODY, sig);
}

TEST(sigv4_matches_botocore_json_post)
{
    char sig[65];
    CHECK(sign_json_post(SECRET, "20261203T144308Z", "ecs", sig) == 0);
    CHECK_STR(sig, "bcb83695898ad78017b3fb2338be20b2530f5cfba19ab0e8c076e270e633feae");
    CHECK(sigv4_signature_equal(sig, "bcb83695898ad78017b3fb2338be20b2530f5cfba19ab0e8c076e270e633feae"));
    /* One byte of the body fewer, and it no longer matches. */
    const char body[] = CREATE_CLUSTER_BODY;
    char cut[sizeof(body)];
    snprintf(cut, sizeof(cut), "%.*s", (int)strlen(body) - 1, body);
    CHECK(sign_json_post_body(SECRET, "20261203T144308Z", "ecs", cut, sig) == 0);
    CHECK(!sigv4_signature_equal(sig, "bcb83695898ad78017b3fb2338be20b2530f5cfba19ab0e8c076e270e633feae"));
}

/* A secret longer than HMAC-SHA256's 64-byte block ("AWS4" + 100 bytes):
 * the key is hashed first (RFC 2104). */
TEST(sigv4_matches_botocore_long_secret)
{
    char sig[65], secret[101];
    memset(secret, 'L', 100);
    secret[100] = 0;
    CHECK(sign_json_post(secret, "20261206T071040Z", "ecs", sig) == 0);
    CHECK_STR(sig, "6d194259f8ad2927f6ac0bac13fd34499932d6246e79e3507d685582fb9671ad");
}

TEST(sigv4_matches_botocore_query_get)
{
    const char *kv[] = {"X-Amz-Date", "20261203T144308Z", "Host", "127.0.0.1:7480", NULL};
    struct hdrs h = {kv};
    char hash[65], sig[65];
    sigv4_sha256_hex("", 0, hash);
    struct sigv4_request r = {"GET", "/", "Version=2010-05-08&Action=GetUser&UserName=a%20b", lookup, &h, hash};
    struct error err;
    CHECK(sigv4_signature(&r, "host;x-amz-date", false, SECRET, "20261203T144308Z", "20261203", "us-east-1", "iam", sig,
                          &err) == 0);
    CHECK_STR(sig, "ac272a0af7322ad47ac41b651293885cbf18855d724b594ffb55a1727a641154");
}

TEST(sigv4_matches_botocore_presigned)
{
    const char *kv[] = {"Host", "127.0.0.1:7480", NULL};
    struct hdrs h = {kv};
    char sig[65], empty[65];
    /* botocore signs a presigned GET's empty body, not UNSIGNED-PAYLOAD
     * (only S3 does that). */
    sigv4_sha256_hex("", 0, empty);
    struct sigv4_request r = {
        "GET",
        "/",
        "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
        "AKIDBERTHTEST%2F20261203%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20261203T144308Z&X-Amz-Expires=300&"
        "X-Amz-SignedHeaders=host&X-Amz-Signature=5e4c58333ab5f17cab105efbb01dc22c97055f8250c6e32fae3771becc52c38e",
        lookup,
        &h,
        empty};
    struct error err;
    CHECK(sigv4_signature(&r, "host", true, SECRET, "20261203T144308Z", "20261203", "us-west-2", "sts", sig, &err) ==
          0);
    CHECK_STR(sig, "5e4c58333ab5f17cab105efbb01dc22c97055f8250c6e32fae3771becc52c38e");
}

TEST(sigv4_missing_signed_header_is_an_error)
{
    const char *kv[] = {"Host", "h", NULL};
    struct hdrs h = {kv};
    char sig[65];
    struct sigv4_request r = {"POST", "/", NULL, lookup, &h, "UNSIGNED-PAYLOAD"};
    struct error err;
    CHECK(sigv4_signature(&r, "host;x-amz-date", false, SECRET, "20261203T144308Z", "20261203", "us-east-1", "ecs", sig,
                          &err) < 0);
    CHECK(strstr(err.msg, "x-amz-date") != NULL);
}

/* Each thread keeps its last signing key: alternating secrets, services
 * and dates must never reuse one derived for another scope. */
TEST(sigv4_kept_signing_key_is_only_used_for_its_own_scope)
{
    char long_secret[101], a[65], b[65], c[65], d[65];
    memset(long_secret, 'L', 100);
    long_secret[100] = 0;
    for (int round = 0; round < 2; round++) {
        CHECK(sign_json_post(SECRET, "20261203T144308Z", "ecs", a) == 0);
        CHECK_STR(a, "bcb83695898ad78017b3fb2338be20b2530f5cfba19ab0e8c076e270e633feae");
        CHECK(sign_json_post(long_secret, "20261206T071040Z", "ecs", b) == 0);
        CHECK_STR(b, "6d194259f8ad2927f6ac0bac13fd34499932d6246e79e3507d685582fb9671ad");
        /* Same secret and day, another service; same secret, another day. */
        CHECK(sign_json_post(SECRET, "20261203T144308Z", "logs", c) == 0);
        CHECK(sign_json_post(SECRET, "20261204T144308Z", "ecs", d) == 0);
        CHECK(strcmp(c, a) != 0 && strcmp(d, a) != 0 && strcmp(c, d) != 0);
        /* The secret's first bytes alone are not its scope. */
        CHECK(sign_json_post("secret/KEY+with=chars2", "20261203T144308Z", "ecs", c) == 0);
        CHECK(strcmp(c, a) != 0);
    }
}
