/* auth.c - SigV4 verification of a request (see auth.h).  Parsing is
 * sigv4_parse.c's and the signature computation common/sigv4.c's; this file
 * gathers the request's parts, finds the key's secret and judges. */
#include "server/http/auth.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/isodate.h"
#include "common/sigv4.h"
#include "server/http/http_limits.h"
#include "server/http/sigv4_parse.h"

#define MAX_SKEW (15 * 60 * USEC_PER_SEC)
#define MAX_PRESIGN_EXPIRES (7 * 24 * 3600)

/* What the request says about its own signature, from either form. */
struct claim {
    struct sigv4_auth auth;
    const char *amz_date;
    bool presigned;
    long expires; /* presigned only: seconds */
};

/* "YYYYMMDDTHHMMSSZ" -> usec since the epoch; -1 if malformed. */
static usec_t parse_amz_date(const char *s)
{
    int64_t t;
    return isodate_parse_amz(s, &t) < 0 ? -1 : (usec_t)t * USEC_PER_SEC;
}

static void format_amz_date(usec_t t, char out[17])
{
    time_t s = (time_t)(t / USEC_PER_SEC);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* The value of query parameter `name` (as the front spelled it), into buf. */
static const char *query_param(const char *query, const char *name, char *buf, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            snprintf(buf, cap, "%.*s", (int)(len - n - 1), p + n + 1);
            return buf;
        }
        p += len + (amp ? 1 : 0);
    }
    return NULL;
}

/* Percent-decode in place ("%2F" -> "/"); the front's query is encoded. */
static void decode_in_place(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        unsigned v;
        if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2]) &&
            sscanf(r + 1, "%2x", &v) == 1) {
            *w++ = (char)v;
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

static int presigned_claim(const struct api_request *req, struct claim *c, char (*bufs)[1024], struct error *err)
{
    const char *alg = query_param(req->query, "X-Amz-Algorithm", bufs[0], sizeof(bufs[0]));
    if (!alg)
        return 0;
    if (strcmp(alg, "AWS4-HMAC-SHA256") != 0)
        return error_set(err, API_ERR_INCOMPLETE_SIGNATURE, "X-Amz-Algorithm must be AWS4-HMAC-SHA256");
    const char *cred = query_param(req->query, "X-Amz-Credential", bufs[1], sizeof(bufs[1]));
    const char *date = query_param(req->query, "X-Amz-Date", bufs[2], sizeof(bufs[2]));
    const char *signed_headers = query_param(req->query, "X-Amz-SignedHeaders", bufs[3], sizeof(bufs[3]));
    const char *sig = query_param(req->query, "X-Amz-Signature", bufs[4], sizeof(bufs[4]));
    const char *expires = query_param(req->query, "X-Amz-Expires", bufs[5], sizeof(bufs[5]));
    if (!cred || !date || !signed_headers || !sig || !expires)
        return error_set(err, API_ERR_INCOMPLETE_SIGNATURE,
                         "Presigned requests require X-Amz-Credential, X-Amz-Date, X-Amz-Expires, "
                         "X-Amz-SignedHeaders and X-Amz-Signature");
    decode_in_place(bufs[1]);
    decode_in_place(bufs[3]);
    if (sigv4_parse_credential(cred, strlen(cred), &c->auth, err) < 0) {
        err->kind = API_ERR_INCOMPLETE_SIGNATURE;
        return error_prefix(err, "X-Amz-Credential");
    }
    snprintf(c->auth.signed_headers, sizeof(c->auth.signed_headers), "%s", signed_headers);
    snprintf(c->auth.signature, sizeof(c->auth.signature), "%s", sig);
    c->expires = strtol(expires, NULL, 10);
    if (c->expires < 1 || c->expires > MAX_PRESIGN_EXPIRES)
        return error_set(err, API_ERR_INCOMPLETE_SIGNATURE, "X-Amz-Expires must be between 1 and %d seconds",
                         MAX_PRESIGN_EXPIRES);
    c->amz_date = date;
    c->presigned = true;
    return 1;
}

static int header_claim(const struct api_request *req, struct claim *c, struct error *err)
{
    if (strlen(req->authorization) >= LIMIT_HEADER_VALUE ||
        sigv4_parse_authorization(req->authorization, &c->auth, err) < 0) {
        err->kind = API_ERR_INCOMPLETE_SIGNATURE;
        return -1;
    }
    c->amz_date = req->header ? req->header(req->cookie, "x-amz-date") : NULL;
    if (!c->amz_date)
        return error_set(err, API_ERR_INCOMPLETE_SIGNATURE,
                         "Authorization header requires an 'X-Amz-Date' header (berth does not read 'Date').");
    return 0;
}

/* Signed within 15 minutes of now (a presigned request: and not expired). */
static int check_time(const struct claim *c, usec_t now, struct error *err)
{
    usec_t t = parse_amz_date(c->amz_date);
    if (t < 0 || strncmp(c->amz_date, c->auth.date, 8) != 0)
        return error_set(err, API_ERR_INCOMPLETE_SIGNATURE,
                         "X-Amz-Date must be YYYYMMDDTHHMMSSZ of the credential's date");
    char now_s[17], bound_s[17]; /* for the messages only */
    usec_t oldest = c->presigned ? t + (usec_t)c->expires * USEC_PER_SEC : t + MAX_SKEW;
    if (now > oldest) {
        format_amz_date(now, now_s);
        format_amz_date(now - MAX_SKEW, bound_s);
        return error_set(err, API_ERR_INVALID_SIGNATURE, "Signature expired: %s is now earlier than %s (%s - 15 min.)",
                         c->amz_date, bound_s, now_s);
    }
    if (t > now + MAX_SKEW) {
        format_amz_date(now, now_s);
        format_amz_date(now + MAX_SKEW, bound_s);
        return error_set(err, API_ERR_INVALID_SIGNATURE,
                         "Signature not yet current: %s is still later than %s (%s + 15 min.)", c->amz_date, bound_s,
                         now_s);
    }
    return 0;
}

/* The body's hash as signed: x-amz-content-sha256 if the client sent one
 * (it must then be the body's), else the body's.  UNSIGNED-PAYLOAD is S3's:
 * here the body names the action's input, so a signature must cover it. */
static int payload_hash(const struct api_request *req, char out[65], struct error *err)
{
    sigv4_sha256_hex(req->body ? req->body : "", req->body_len, out);
    const char *claimed = req->header ? req->header(req->cookie, "x-amz-content-sha256") : NULL;
    if (!claimed)
        return 0;
    if (strcmp(claimed, "UNSIGNED-PAYLOAD") == 0)
        return error_set(err, API_ERR_INVALID_SIGNATURE,
                         "UNSIGNED-PAYLOAD is not accepted: the request body must be signed.");
    if (strcmp(claimed, out) != 0)
        return error_set(err, API_ERR_INVALID_SIGNATURE,
                         "The provided 'x-amz-content-sha256' header does not match what was computed.");
    return 0;
}

/* Temporary credentials: the request carries the session token they were
 * issued with, and they have not expired. */
static int check_session(const struct api_request *req, const struct claim *c, const struct api_key *key, usec_t now,
                         char (*bufs)[1024], struct error *err)
{
    const char *token = req->header ? req->header(req->cookie, "x-amz-security-token") : NULL;
    if (!token && c->presigned && query_param(req->query, "X-Amz-Security-Token", bufs[0], sizeof(bufs[0]))) {
        decode_in_place(bufs[0]);
        token = bufs[0];
    }
    if (key->session_token_sha256[0]) {
        char hash[65];
        if (!token)
            return error_set(err, API_ERR_UNRECOGNIZED_CLIENT,
                             "The security token included in the request is invalid.");
        sigv4_sha256_hex(token, strlen(token), hash);
        if (CRYPTO_memcmp(hash, key->session_token_sha256, 64) != 0)
            return error_set(err, API_ERR_UNRECOGNIZED_CLIENT,
                             "The security token included in the request is invalid.");
    } else if (token && *token) {
        /* A token with a long-term key: AWS refuses it, and so does berth. */
        return error_set(err, API_ERR_UNRECOGNIZED_CLIENT, "The security token included in the request is invalid.");
    }
    if (key->expires_at && now >= key->expires_at)
        return error_set(err, API_ERR_EXPIRED_TOKEN, "The security token included in the request is expired");
    return 0;
}

/* Whether `name` (lower case) is in a SignedHeaders list ("a;b;c"). */
static bool header_is_signed(const char *signed_headers, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = signed_headers; *p;) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        if (len == n && strncasecmp(p, name, n) == 0)
            return true;
        p += len + (semi ? 1 : 0);
    }
    return false;
}

/* A signature must cover what picks the action and its input: the
 * X-Amz-Target header when there is one, and the body (a presigned URL
 * signs none, so it may carry none; botocore moves members into the URL). */
static int check_coverage(const struct api_request *req, const struct claim *c, struct error *err)
{
    const char *target = req->header ? req->header(req->cookie, "x-amz-target") : NULL;
    if (target && !header_is_signed(c->auth.signed_headers, "x-amz-target"))
        return error_set(err, API_ERR_INCOMPLETE_SIGNATURE, "The X-Amz-Target header must be signed (SignedHeaders).");
    if (c->presigned && req->body_len > 0)
        return error_set(err, API_ERR_INVALID_SIGNATURE,
                         "A presigned request signs no body, so it may not carry one: send the members in the "
                         "signed query string or sign the request with an Authorization header.");
    return 0;
}

static int verify_signature(const struct api_request *req, const struct claim *c, const struct api_key *key, usec_t now,
                            struct error *err)
{
    char hash[65], expected[65];
    struct sigv4_request r = {req->method, req->path, req->query, req->header, req->cookie, hash};
    int rc = check_coverage(req, c, err);
    if (rc == 0)
        rc = check_time(c, now, err);
    if (rc == 0 && !c->presigned)
        rc = payload_hash(req, hash, err);
    else if (rc == 0)
        sigv4_sha256_hex("", 0, hash); /* a presigned request signs an empty body */
    if (rc == 0)
        rc = sigv4_signature(&r, c->auth.signed_headers, c->presigned, key->secret, c->amz_date, c->auth.date,
                             c->auth.region, c->auth.service, expected, err);
    if (rc < 0) {
        /* A request too malformed to sign (a signed header it lacks...). */
        if (err->kind != API_ERR_INVALID_SIGNATURE)
            err->kind = API_ERR_INCOMPLETE_SIGNATURE;
        return -1;
    }
    if (!sigv4_signature_equal(expected, c->auth.signature))
        return error_set(err, API_ERR_INVALID_SIGNATURE,
                         "The request signature we calculated does not match the signature you provided. Check your "
                         "AWS Secret Access Key and signing method. Consult the service documentation for details.");
    return 0;
}

int auth_check(const struct api_request *req, const struct api_keys *keys, usec_t now, struct auth_result *ret,
               struct error *err)
{
    struct claim c = {0};
    char bufs[6][1024];
    int presigned = presigned_claim(req, &c, bufs, err);
    if (presigned < 0)
        return -1;
    if (!presigned && !req->authorization)
        return error_set(err, API_ERR_MISSING_AUTHENTICATION, "Missing Authentication Token");
    if (!presigned && header_claim(req, &c, err) < 0)
        return -1;
    struct api_key key;
    int found = keys && keys->lookup ? keys->lookup(keys->cookie, c.auth.access_key, &key) : 0;
    if (found < 0)
        return error_set(err, ERR_INTERNAL, "The access key could not be read; try again.");
    if (found == 0)
        return error_set(err, API_ERR_UNRECOGNIZED_CLIENT, "The security token included in the request is invalid.");
    int rc = verify_signature(req, &c, &key, now, err);
    if (rc == 0)
        rc = check_session(req, &c, &key, now, bufs, err);
    if (rc == 0) {
        snprintf(ret->access_key, sizeof(ret->access_key), "%s", c.auth.access_key);
        snprintf(ret->principal, sizeof(ret->principal), "%s", key.principal);
        snprintf(ret->region, sizeof(ret->region), "%s", c.auth.region);
        snprintf(ret->service, sizeof(ret->service), "%s", c.auth.service);
        ret->temporary = key.session_token_sha256[0] != '\0';
    }
    OPENSSL_cleanse(&key, sizeof(key));
    return rc;
}
