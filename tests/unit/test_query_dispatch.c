/* Unit tests: a signed AWS query request through the real dispatcher
 * (api_handle) - routed by the credential scope's service, answered in
 * XML - with temporary credentials: accepted with their session token,
 * refused with another token (InvalidClientTokenId) and, once expired,
 * refused with ExpiredToken.  STS's shortest session is 15 minutes, so
 * expiry is tested here, with a key stored already expired. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/sigv4.h"
#include "server/iam/keyring.h"
#include "server/store/store.h"
#include "test.h"
#include "test_server.h"

#define SESSION_ARN "arn:aws:sts::000000000000:assumed-role/builder/ci"
#define TOKEN "FQoGZXIvYXdzEXAMPLETOKEN0123456789"

struct headers {
    const char *names[4];
    const char *values[4];
};

static const char *header(void *cookie, const char *lname)
{
    struct headers *h = cookie;
    for (size_t i = 0; i < 4; i++)
        if (h->names[i] && strcmp(h->names[i], lname) == 0)
            return h->values[i];
    return NULL;
}

/* POST body to the dispatcher, signed for service as key_id with token. */
static void call(struct server *srv, const char *service, const char *body, const char *key_id, const char *secret,
                 const char *token, struct api_response *resp)
{
    char amz_date[17], date[9], hash[65], sig[65], auth[512];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
    strftime(date, sizeof(date), "%Y%m%d", &tm);
    sigv4_sha256_hex(body, strlen(body), hash);
    struct headers h = {{"content-type", "host", "x-amz-date", "x-amz-security-token"},
                        {"application/x-www-form-urlencoded", "localhost", amz_date, token}};
    const char *signed_headers = "content-type;host;x-amz-date;x-amz-security-token";
    struct sigv4_request r = {"POST", "/", "", header, &h, hash};
    struct error err;
    if (sigv4_signature(&r, signed_headers, false, secret, amz_date, date, "us-east-1", service, sig, &err) < 0)
        fprintf(stderr, "  sign: %s\n", err.msg);
    snprintf(auth, sizeof(auth),
             "AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/%s/aws4_request, SignedHeaders=%s, Signature=%s", key_id,
             date, service, signed_headers, sig);
    struct api_request req = {.method = "POST",
                              .path = "/",
                              .query = "",
                              .header = header,
                              .cookie = &h,
                              .authorization = auth,
                              .body = body,
                              .body_len = strlen(body)};
    api_handle(srv->dispatch, &req, resp);
}

static int put_session_key(struct server *srv, const char *id, usec_t expires_at)
{
    struct store_tx *tx = NULL;
    struct error err;
    struct key_record rec = {.access_key_id = id,
                             .secret = "0123456789012345678901234567890123456789",
                             .principal_arn = SESSION_ARN,
                             .status = "Active",
                             .session_token = TOKEN,
                             .expires_at = expires_at};
    if (store_begin(srv->store, true, &tx, &err) < 0 || keyring_put(srv->keyring, tx, &rec, &err) < 0) {
        fprintf(stderr, "  put: %s\n", err.msg);
        store_rollback(tx);
        return -1;
    }
    return store_commit(tx, &err);
}

TEST(query_dispatch_session_credentials_and_expiry)
{
    char dir[sizeof(TEST_SERVER_DIR_TEMPLATE)];
    struct server srv;
    CHECK(test_server_open(&srv, dir) == 0);
    const char *secret = "0123456789012345678901234567890123456789";
    const char *body = "Action=GetCallerIdentity&Version=2011-06-15";
    CHECK(put_session_key(&srv, "ASIAVALIDVALIDVALID2", time_now() + 3600 * USEC_PER_SEC) == 0);
    CHECK(put_session_key(&srv, "ASIAEXPIREDEXPIRED22", time_now() - USEC_PER_SEC) == 0);

    struct api_response resp;
    call(&srv, "sts", body, "ASIAVALIDVALIDVALID2", secret, TOKEN, &resp);
    CHECK(resp.status == 200);
    CHECK_STR(resp.content_type, "text/xml");
    CHECK(resp.body && strstr(resp.body, "<Arn>" SESSION_ARN "</Arn>"));
    CHECK(resp.body &&
          strstr(resp.body, "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"));
    free(resp.body);

    call(&srv, "sts", body, "ASIAVALIDVALIDVALID2", secret, TOKEN "x", &resp);
    CHECK(resp.status == 403);
    CHECK(resp.body && strstr(resp.body, "<Code>InvalidClientTokenId</Code>"));
    free(resp.body);

    call(&srv, "sts", body, "ASIAEXPIREDEXPIRED22", secret, TOKEN, &resp);
    CHECK(resp.status == 403);
    CHECK(resp.body && strstr(resp.body, "<Code>ExpiredToken</Code>"));
    free(resp.body);

    /* IAM by its scope: an action IAM does not have. */
    call(&srv, "iam", "Action=NoSuchThing&Version=2010-05-08", "ASIAVALIDVALIDVALID2", secret, TOKEN, &resp);
    CHECK(resp.status == 400);
    CHECK(resp.body && strstr(resp.body, "<Code>InvalidAction</Code>"));
    free(resp.body);
    test_server_close(&srv, dir);
}
