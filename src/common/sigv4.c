/* sigv4.c - the SigV4 signing computation (see sigv4.h), after AWS's
 * "Create a signed AWS API request": canonical request, string to sign, the
 * HMAC chain of the signing key.  Clients sign with it, the server verifies
 * with it; parsing an Authorization header is the server's
 * (server/http/sigv4_parse.c). */
#include "common/sigv4.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

#define MAX_QUERY_PARAMS 256

static const char hexdigits[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdigits[in[i] >> 4];
        out[2 * i + 1] = hexdigits[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

/* SHA-256 fetched once: EVP_sha256() in EVP_Digest, and HMAC(), look the
 * algorithm up in the provider store on every call, under locks all threads
 * share; on a small read that was a third of the server's time. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

/* What each thread keeps between signatures: its digest context (a new
 * one per digest was an allocation and a free each, twelve per request)
 * and the last signing key with the scope it was derived for (the key
 * changes once a day per secret, region and service; deriving it is
 * eight of the twelve digests). */
struct sig_thread {
    EVP_MD_CTX *ctx;
    char scope[1200]; /* "AWS4" secret NUL date NUL region NUL service */
    size_t scope_len;
    unsigned char key[32];
};
static pthread_key_t sig_thread_key;

static void sig_thread_free(void *p)
{
    struct sig_thread *t = p;
    EVP_MD_CTX_free(t->ctx);
    OPENSSL_cleanse(t, sizeof(*t));
    free(t);
}

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (pthread_key_create(&sig_thread_key, sig_thread_free) != 0)
        sha256_md = NULL; /* every digest then fails, as without SHA-256 */
}

static struct sig_thread *sig_thread(void)
{
    pthread_once(&sha256_once, sha256_fetch);
    if (!sha256_md)
        return NULL;
    struct sig_thread *t = pthread_getspecific(sig_thread_key);
    if (t)
        return t;
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ctx = EVP_MD_CTX_new();
    if (!t->ctx || pthread_setspecific(sig_thread_key, t) != 0) {
        EVP_MD_CTX_free(t->ctx);
        free(t);
        return NULL;
    }
    return t;
}

/* SHA-256 of a then b into out; -1 if OpenSSL failed (out is then not a
 * digest and must not be used). */
static int sha256_two(const void *a, size_t alen, const void *b, size_t blen, unsigned char out[32])
{
    struct sig_thread *t = sig_thread();
    if (!t)
        return -1;
    unsigned int n = 0;
    int ok = EVP_DigestInit_ex2(t->ctx, sha256_md, NULL) == 1 && EVP_DigestUpdate(t->ctx, a, alen) == 1 &&
             (!blen || EVP_DigestUpdate(t->ctx, b, blen) == 1) && EVP_DigestFinal_ex(t->ctx, out, &n) == 1 && n == 32;
    return ok ? 0 : -1;
}

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    if (sha256_two(data, len, NULL, 0, md) < 0) {
        out[0] = '\0'; /* matches no hash a client sends */
        return;
    }
    to_hex(md, 32, out);
}

/* HMAC-SHA256 (RFC 2104) over the digest above. */
static int hmac(const unsigned char *key, size_t keylen, const char *msg, unsigned char out[32])
{
    unsigned char k0[64] = {0}, pad[64], inner[32];
    if (keylen > sizeof(k0)) {
        if (sha256_two(key, keylen, NULL, 0, k0) < 0)
            return -1;
    } else {
        memcpy(k0, key, keylen);
    }
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] = k0[i] ^ 0x36;
    int rc = sha256_two(pad, sizeof(pad), msg, strlen(msg), inner);
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] = k0[i] ^ 0x5c;
    if (rc == 0)
        rc = sha256_two(pad, sizeof(pad), inner, sizeof(inner), out);
    OPENSSL_cleanse(k0, sizeof(k0));
    OPENSSL_cleanse(pad, sizeof(pad));
    return rc;
}

static bool unreserved(unsigned char c) { return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~'; }

/* RFC 3986 encoding as SigV4 wants it: unreserved bytes as they are, every
 * other byte %XX in upper case; '/' kept when keep_slash. */
int sigv4_uri_encode(struct buf *out, const char *s, size_t n, bool keep_slash)
{
    static const char upper[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            buf_append_char(out, (char)c);
        } else {
            char esc[3] = {'%', upper[c >> 4], upper[c & 0xf]};
            buf_append(out, esc, 3);
        }
    }
    return out->failed ? -1 : 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decoding of [s, s+n) into out (malformed escapes kept as text). */
static void uri_decode(struct buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            buf_append_char(out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
            i += 2;
        } else {
            buf_append_char(out, s[i]);
        }
    }
}

struct param {
    char *key;   /* canonical (re-encoded) */
    char *value; /* canonical (re-encoded) */
};

static int param_cmp(const void *a, const void *b)
{
    const struct param *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* One "k=v" of the query, decoded and re-encoded canonically. */
static int canonical_param(const char *s, size_t n, struct param *ret, struct error *err)
{
    const char *eq = memchr(s, '=', n);
    size_t klen = eq ? (size_t)(eq - s) : n;
    _cleanup_buf_ struct buf raw, enc;
    buf_init(&raw, n + 1);
    buf_init(&enc, 3 * n + 1);
    uri_decode(&raw, s, klen);
    sigv4_uri_encode(&enc, raw.data ? raw.data : "", raw.len, false);
    ret->key = buf_steal(&enc, NULL);
    buf_reset(&raw);
    if (eq)
        uri_decode(&raw, eq + 1, n - klen - 1);
    sigv4_uri_encode(&enc, raw.data ? raw.data : "", raw.len, false);
    ret->value = buf_steal(&enc, NULL);
    if (!ret->key || !ret->value) {
        free(ret->key);
        free(ret->value);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    return 0;
}

static int canonical_query(const char *query, bool presigned, struct buf *out, struct error *err)
{
    struct param params[MAX_QUERY_PARAMS];
    size_t np = 0;
    int rc = 0;
    for (const char *p = query ? query : ""; *p && rc == 0;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        if (n > 0) {
            if (np == MAX_QUERY_PARAMS)
                rc = error_set(err, ERR_LIMIT, "too many query parameters (at most %d)", MAX_QUERY_PARAMS);
            else if (canonical_param(p, n, &params[np], err) < 0)
                rc = -1;
            else if (presigned && strcmp(params[np].key, "X-Amz-Signature") == 0) {
                free(params[np].key);
                free(params[np].value);
            } else
                np++;
        }
        p += n + (amp ? 1 : 0);
    }
    if (rc == 0) {
        qsort(params, np, sizeof(*params), param_cmp);
        for (size_t i = 0; i < np; i++)
            buf_printf(out, "%s%s=%s", i ? "&" : "", params[i].key, params[i].value);
    }
    for (size_t i = 0; i < np; i++) {
        free(params[i].key);
        free(params[i].value);
    }
    return rc;
}

/* "name:value\n" with the value's outer white space trimmed and inner runs
 * of spaces folded to one. */
static void canonical_header(struct buf *out, const char *name, size_t nlen, const char *value)
{
    buf_append(out, name, nlen);
    buf_append_char(out, ':');
    while (*value == ' ' || *value == '\t')
        value++;
    bool space = false;
    for (; *value; value++) {
        if (*value == ' ' || *value == '\t') {
            space = true;
            continue;
        }
        if (space)
            buf_append_char(out, ' ');
        space = false;
        buf_append_char(out, *value);
    }
    buf_append_char(out, '\n');
}

static int canonical_headers(const struct sigv4_request *r, const char *signed_headers, struct buf *out,
                             struct error *err)
{
    for (const char *p = signed_headers; *p;) {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        char name[128];
        if (n == 0 || n >= sizeof(name))
            return error_set(err, ERR_INVALID, "SignedHeaders has an empty or overlong name");
        memcpy(name, p, n);
        name[n] = '\0';
        const char *value = r->header(r->cookie, name);
        if (!value)
            return error_set(err, ERR_INVALID, "signed header '%s' is not in the request", name);
        canonical_header(out, name, n, value);
        p += n + (semi ? 1 : 0);
    }
    return 0;
}

int sigv4_canonical_request(const struct sigv4_request *r, const char *signed_headers, bool presigned, struct buf *out,
                            struct error *err)
{
    buf_printf(out, "%s\n", r->method);
    const char *path = r->path && *r->path ? r->path : "/";
    /* Services other than S3 sign the path encoded once more. */
    sigv4_uri_encode(out, path, strlen(path), true);
    buf_append_char(out, '\n');
    if (canonical_query(r->query, presigned, out, err) < 0)
        return -1;
    buf_append_char(out, '\n');
    if (canonical_headers(r, signed_headers, out, err) < 0)
        return -1;
    buf_printf(out, "\n%s\n%s", signed_headers, r->payload_hash);
    if (out->failed)
        return error_set(err, ERR_LIMIT, "request too large to sign");
    return 0;
}

/* The signing key for secret and scope: the thread's last one when the
 * scope is the same (compared in constant time: it holds the secret). */
static int signing_key(const char *secret, const char *date, const char *region, const char *service,
                       unsigned char k[32], struct error *err)
{
    struct sig_thread *t = sig_thread();
    char scope[sizeof(t->scope)];
    int n = snprintf(scope, sizeof(scope), "AWS4%s%c%s%c%s%c%s", secret, 0, date, 0, region, 0, service);
    if (n < 0 || (size_t)n >= sizeof(scope)) {
        OPENSSL_cleanse(scope, sizeof(scope));
        return error_set(err, ERR_LIMIT, "signing scope too long");
    }
    if (t && t->scope_len == (size_t)n && CRYPTO_memcmp(t->scope, scope, (size_t)n) == 0) {
        memcpy(k, t->key, 32);
        OPENSSL_cleanse(scope, sizeof(scope));
        return 0;
    }
    size_t secret_len = 4 + strlen(secret);
    int rc = hmac((const unsigned char *)scope, secret_len, date, k);
    if (rc == 0)
        rc = hmac(k, 32, region, k);
    if (rc == 0)
        rc = hmac(k, 32, service, k);
    if (rc == 0)
        rc = hmac(k, 32, "aws4_request", k);
    if (rc == 0 && t) {
        memcpy(t->scope, scope, (size_t)n);
        t->scope_len = (size_t)n;
        memcpy(t->key, k, 32);
    }
    OPENSSL_cleanse(scope, sizeof(scope));
    return rc < 0 ? error_set(err, ERR_INTERNAL, "SHA-256 failed (out of memory?)") : 0;
}

int sigv4_signature(const struct sigv4_request *r, const char *signed_headers, bool presigned, const char *secret,
                    const char *amz_date, const char *date, const char *region, const char *service, char out[65],
                    struct error *err)
{
    _cleanup_buf_ struct buf canon, sts;
    buf_init(&canon, 256 * 1024);
    buf_init(&sts, 1024);
    if (sigv4_canonical_request(r, signed_headers, presigned, &canon, err) < 0)
        return -1;
    char canon_hash[65];
    sigv4_sha256_hex(canon.data, canon.len, canon_hash);
    buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, date, region, service, canon_hash);
    if (sts.failed)
        return error_set(err, ERR_LIMIT, "signing scope too long");
    unsigned char k[32], sig[32];
    if (signing_key(secret, date, region, service, k, err) < 0)
        return -1;
    int rc = hmac(k, 32, sts.data, sig);
    OPENSSL_cleanse(k, sizeof(k));
    if (rc < 0)
        return error_set(err, ERR_INTERNAL, "SHA-256 failed (out of memory?)");
    to_hex(sig, 32, out);
    return 0;
}

bool sigv4_signature_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n != strlen(b))
        return false;
    return CRYPTO_memcmp(a, b, n) == 0;
}
