/* acm_certs.c - Certificate Manager's certificates: ImportCertificate
 * (new, or again into the same ARN), DescribeCertificate, GetCertificate
 * (certificate and chain, never the key, as ACM), ListCertificates
 * (statuses, key types, pages), DeleteCertificate (refused while a load
 * balancer listener uses it), tags.  RequestCertificate is refused: berth
 * cannot validate a domain by DNS or e-mail.
 *
 * A certificate is one store document (kind ACM_DOC_KIND, id its ARN);
 * the private key in it is sealed by the secret box and never leaves
 * this file but sealed. */
#include "server/acm/acm.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/timeutil.h"
#include "server/acm/acm_pem.h"
#include "server/http/paging.h"
#include "server/http/tags.h"
#include "server/iam/secret_text.h"
#include "server/store/store_docs.h"
#include "server/store/store_elb.h"
#include "server/store/store_tags.h"

static const char *str(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* A blob member (base64 in JSON) decoded into out (bounded). */
static int blob(json_t *in, const char *member, struct buf *out, struct error *err)
{
    const char *b64 = str(in, member);
    size_t len = b64 ? strlen(b64) : 0;
    if (!b64)
        return 0;
    if (len == 0 || len / 4 * 3 > ACM_PEM_MAX || len % 4 != 0)
        return error_set(err, ERR_INVALID,
                         "Value at '%s' failed to satisfy constraint: not base64 of at most %d bytes.", member,
                         ACM_PEM_MAX);
    if (buf_reserve(out, len / 4 * 3 + 1) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int n = EVP_DecodeBlock((unsigned char *)out->data, (const unsigned char *)b64, (int)len);
    if (n < 0)
        return error_set(err, ERR_INVALID, "Value at '%s' is not valid base64.", member);
    size_t pad = (b64[len - 1] == '=') + (len > 1 && b64[len - 2] == '=');
    out->len = (size_t)n - pad;
    out->data[out->len] = '\0';
    return 1;
}

static bool arn_ok(const struct op_ctx *ctx, const char *arn)
{
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "arn:aws:acm:%s:%s:certificate/", ctx->region, ctx->account);
    return arn && strncmp(arn, prefix, strlen(prefix)) == 0 && strlen(arn) == strlen(prefix) + 36;
}

/* The certificate CertificateArn names: 0 with a new document, or -1. */
static int find(struct op_ctx *ctx, json_t *in, json_t **ret, struct error *err)
{
    const char *arn = str(in, "CertificateArn");
    if (!arn || strncmp(arn, "arn:", 4) != 0 || strstr(arn, ":acm:") == NULL)
        return error_set(err, ACM_ERR_INVALID_ARN, "String '%.300s' is not a valid ARN.", arn ? arn : "");
    int r = arn_ok(ctx, arn) ? store_doc_get(ctx->tx, ACM_DOC_KIND, ctx->region, arn, ret, err) : 0;
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_NOT_FOUND, "Could not find certificate %.300s.", arn);
    return 0;
}

/* The listeners that use arn (new array of listener ARNs). */
struct users {
    const char *arn;
    json_t *list;
};

static bool cert_listed(json_t *certs, const char *arn)
{
    size_t i;
    json_t *c;
    json_array_foreach(certs, i, c) {
        if (str(c, "CertificateArn") && strcmp(str(c, "CertificateArn"), arn) == 0)
            return true;
    }
    return false;
}

static int user_row(json_t *doc, void *ud, struct error *err)
{
    (void)err;
    struct users *u = ud;
    if (cert_listed(json_object_get(doc, "Certificates"), u->arn) ||
        cert_listed(json_object_get(doc, "berthCertificates"), u->arn))
        json_array_append(u->list, json_object_get(doc, "ListenerArn"));
    return 0;
}

static json_t *in_use_by(struct op_ctx *ctx, const char *arn, struct error *err)
{
    struct users u = {arn, json_array()};
    if (!u.list || store_elb_each(ctx->tx, STORE_ELB_LISTENER, ctx->region, NULL, NULL, user_row, &u, err) < 0) {
        json_decref(u.list);
        return NULL;
    }
    return u.list;
}

static json_t *secs(json_t *doc, const char *k) { return json_integer(json_integer_value(json_object_get(doc, k))); }

/* The certificate's Status: ISSUED, or EXPIRED once NotAfter has passed. */
static const char *status(struct op_ctx *ctx, json_t *doc)
{
    return (json_int_t)(ctx->now / USEC_PER_SEC) > json_integer_value(json_object_get(doc, "NotAfter")) ? "EXPIRED"
                                                                                                        : "ISSUED";
}

/* What DescribeCertificate shows (summary: ListCertificates' shape). */
static json_t *show(struct op_ctx *ctx, json_t *doc, bool summary, struct error *err)
{
    _cleanup_json_ json_t *users = in_use_by(ctx, str(doc, "CertificateArn"), err);
    if (!users)
        return NULL;
    json_t *d = json_pack("{s:O, s:s, s:s, s:s, s:O, s:o, s:o, s:O, s:s}", "CertificateArn",
                          json_object_get(doc, "CertificateArn"), "DomainName", str(doc, "DomainName"), "Type",
                          "IMPORTED", "Status", status(ctx, doc), "KeyAlgorithm", json_object_get(doc, "KeyAlgorithm"),
                          "NotBefore", secs(doc, "NotBefore"), "NotAfter", secs(doc, "NotAfter"), "ExtendedKeyUsages",
                          json_object_get(doc, "ExtendedKeyUsages"), "RenewalEligibility", "INELIGIBLE");
    if (!d) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    json_object_set_new(d, "ImportedAt", secs(doc, "ImportedAt"));
    json_object_set_new(d, "CreatedAt", secs(doc, "CreatedAt"));
    if (summary) {
        json_object_set(d, "SubjectAlternativeNameSummaries", json_object_get(doc, "SubjectAlternativeNames"));
        json_object_set_new(d, "HasAdditionalSubjectAlternativeNames", json_false());
        json_object_set_new(d, "InUse", json_boolean(json_array_size(users) > 0));
        json_object_set_new(d, "KeyUsages", json_array());
        json_t *k, *eku = json_array();
        size_t i;
        json_array_foreach(json_object_get(doc, "KeyUsages"), i, k)
            json_array_append(json_object_get(d, "KeyUsages"), json_object_get(k, "Name"));
        json_array_foreach(json_object_get(doc, "ExtendedKeyUsages"), i, k)
            json_array_append(eku, json_object_get(k, "Name"));
        json_object_set_new(d, "ExtendedKeyUsages", eku);
        return d;
    }
    static const char *const copied[] = {"SubjectAlternativeNames", "Subject",  "Issuer", "Serial",
                                         "SignatureAlgorithm",      "KeyUsages"};
    for (size_t i = 0; i < ELEMENTSOF(copied); i++)
        json_object_set(d, copied[i], json_object_get(doc, copied[i]));
    json_object_set_new(d, "InUseBy", json_incref(users));
    json_object_set_new(d, "Options", json_pack("{s:s}", "CertificateTransparencyLoggingPreference", "DISABLED"));
    return d;
}

/* A new certificate ARN (random UUID) into out. */
static int new_arn(struct op_ctx *ctx, char *out, size_t cap, struct error *err)
{
    unsigned char r[16];
    if (RAND_bytes(r, sizeof(r)) != 1)
        return error_set(err, ERR_INTERNAL, "no random bytes");
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    char u[37];
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            u[o++] = '-';
        snprintf(u + o, sizeof(u) - o, "%02x", r[i]);
        o += 2;
    }
    snprintf(out, cap, "arn:aws:acm:%s:%s:certificate/%s", ctx->region, ctx->account, u);
    return 0;
}

struct counting {
    int n;
};

static int count_row(const char *region, json_t *doc, void *ud, struct error *err)
{
    (void)region, (void)doc, (void)err;
    ((struct counting *)ud)->n++;
    return 0;
}

/* The doc of an import: given the parsed PEMs, seal the key into it. */
static int import_doc(struct op_ctx *ctx, json_t *in, json_t **ret_info, struct error *err)
{
    const struct acm_service *svc = ctx->service;
    _cleanup_buf_ struct buf cert, key, chain;
    buf_init(&cert, ACM_PEM_MAX + 1);
    buf_init(&key, ACM_PEM_MAX + 1);
    buf_init(&chain, ACM_PEM_MAX + 1);
    int r = blob(in, "Certificate", &cert, err);
    if (r >= 0)
        r = blob(in, "PrivateKey", &key, err);
    int has_chain = r >= 0 ? blob(in, "CertificateChain", &chain, err) : -1;
    json_t *info = NULL;
    char *sealed = NULL;
    if (r >= 0 && has_chain >= 0 &&
        acm_pem_check(cert.data, cert.len, key.data, key.len, has_chain ? chain.data : NULL, chain.len, &info, err) ==
            0 &&
        secret_text_seal(svc->box, key.data, key.len, &sealed, err) == 0) {
        json_object_set_new(info, "berthSealedKey", json_string(sealed));
        json_object_set_new(info, "Certificate", json_stringn(cert.data, cert.len));
        if (has_chain)
            json_object_set_new(info, "CertificateChain", json_stringn(chain.data, chain.len));
        *ret_info = info;
        info = NULL;
        r = 0;
    } else {
        r = -1;
    }
    if (key.data)
        OPENSSL_cleanse(key.data, key.len);
    free(sealed);
    json_decref(info);
    return r;
}

API_ACTION(acm_import_certificate)
{
    _cleanup_json_ json_t *doc = NULL, *old = NULL;
    char arn[ACM_ARN_MAX];
    if (json_object_get(in, "CertificateArn")) {
        if (json_object_get(in, "Tags"))
            return error_set(err, ERR_INVALID, "Tags cannot be given when reimporting a certificate.");
        if (find(ctx, in, &old, err) < 0)
            return -1;
        snprintf(arn, sizeof(arn), "%s", str(old, "CertificateArn"));
    } else {
        struct counting c = {0};
        if (store_doc_each(ctx->tx, ACM_DOC_KIND, ctx->region, NULL, NULL, count_row, &c, err) < 0)
            return -1;
        if (c.n >= ACM_CERTS_MAX)
            return error_set(err, API_ERR_LIMIT_EXCEEDED, "You have reached the limit of %d imported certificates.",
                             ACM_CERTS_MAX);
        if (new_arn(ctx, arn, sizeof(arn), err) < 0)
            return -1;
    }
    if (import_doc(ctx, in, &doc, err) < 0)
        return -1;
    json_int_t now = (json_int_t)(ctx->now / USEC_PER_SEC);
    json_object_set_new(doc, "CertificateArn", json_string(arn));
    json_object_set_new(doc, "CreatedAt", old ? secs(old, "CreatedAt") : json_integer(now));
    json_object_set_new(doc, "ImportedAt", json_integer(now));
    if (!old && json_object_get(in, "Tags")) {
        int count;
        if (tags_put_keyed(ctx, arn, json_object_get(in, "Tags"), &count, err) < 0)
            return error_set(err, ACM_ERR_INVALID_TAG, "%s", err->msg);
    }
    if (store_doc_put(ctx->tx, ACM_DOC_KIND, ctx->region, arn, doc, err) < 0)
        return -1;
    json_object_set_new(out, "CertificateArn", json_string(arn));
    return 0;
}

API_ACTION(acm_describe_certificate)
{
    _cleanup_json_ json_t *doc = NULL;
    if (find(ctx, in, &doc, err) < 0)
        return -1;
    json_t *d = show(ctx, doc, false, err);
    if (!d)
        return -1;
    json_object_set_new(out, "Certificate", d);
    return 0;
}

API_ACTION(acm_get_certificate)
{
    _cleanup_json_ json_t *doc = NULL;
    if (find(ctx, in, &doc, err) < 0)
        return -1;
    json_object_set(out, "Certificate", json_object_get(doc, "Certificate"));
    if (json_object_get(doc, "CertificateChain"))
        json_object_set(out, "CertificateChain", json_object_get(doc, "CertificateChain"));
    return 0;
}

/* ---- ListCertificates ---- */

struct listing {
    struct op_ctx *ctx;
    json_t *statuses, *key_types;
    int limit;
    json_t *list;
    char last[ACM_ARN_MAX];
    bool more;
    struct error *err;
};

static bool listed(json_t *list, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (s && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

static int list_row(const char *region, json_t *doc, void *ud, struct error *err)
{
    (void)region;
    struct listing *l = ud;
    if (json_array_size(l->statuses) > 0 && !listed(l->statuses, status(l->ctx, doc)))
        return 0;
    /* ACM lists RSA_1024 and RSA_2048 certificates unless keyTypes says. */
    json_t *dflt = json_pack("[s, s]", "RSA_1024", "RSA_2048");
    bool ok = listed(json_array_size(l->key_types) ? l->key_types : dflt, str(doc, "KeyAlgorithm"));
    json_decref(dflt);
    if (!ok)
        return 0;
    if ((int)json_array_size(l->list) == l->limit) {
        l->more = true;
        return 1;
    }
    json_t *d = show(l->ctx, doc, true, err);
    if (!d)
        return -1;
    json_array_append_new(l->list, d);
    snprintf(l->last, sizeof(l->last), "%s", str(doc, "CertificateArn"));
    return 0;
}

API_ACTION(acm_list_certificates)
{
    json_t *includes = json_object_get(in, "Includes");
    static const char *const refused[] = {"extendedKeyUsage", "keyUsage", "managedBy", "exportOption"};
    for (size_t i = 0; i < ELEMENTSOF(refused); i++)
        if (json_object_get(includes, refused[i]))
            return error_set(err, ERR_INVALID, "berth does not filter certificates by Includes.%s.", refused[i]);
    if (json_object_get(in, "SortBy"))
        return error_set(err, ERR_INVALID, "berth does not sort certificates (SortBy): they are listed by ARN.");
    struct page page;
    if (page_begin_as(in, "ListCertificates", "MaxItems", "NextToken", 1000, 1000, &page, err) < 0)
        return -1;
    struct listing l = {.ctx = ctx,
                        .statuses = json_object_get(in, "CertificateStatuses"),
                        .key_types = json_object_get(includes, "keyTypes"),
                        .limit = page.limit,
                        .list = json_array()};
    json_object_set_new(out, "CertificateSummaryList", l.list);
    int r = store_doc_each(ctx->tx, ACM_DOC_KIND, ctx->region, page.after, NULL, list_row, &l, err);
    page_free(&page);
    if (r < 0)
        return -1;
    if (l.more && page_set_next_as(out, "ListCertificates", "NextToken", l.last) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

API_ACTION(acm_delete_certificate)
{
    (void)out;
    _cleanup_json_ json_t *doc = NULL;
    if (find(ctx, in, &doc, err) < 0)
        return -1;
    _cleanup_json_ json_t *users = in_use_by(ctx, str(doc, "CertificateArn"), err);
    if (!users)
        return -1;
    if (json_array_size(users) > 0)
        return error_set(err, ACM_ERR_IN_USE, "Certificate %s in account %s is in use by %s.",
                         str(doc, "CertificateArn"), ctx->account, json_string_value(json_array_get(users, 0)));
    json_t *none = json_array();
    _cleanup_json_ json_t *tags = tags_list(ctx, str(doc, "CertificateArn"), err);
    int r = tags ? 0 : -1;
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
        json_array_append(none, json_object_get(t, "key"));
    if (r == 0 && json_array_size(none) > 0)
        r = store_tags_remove(ctx->tx, str(doc, "CertificateArn"), none, err);
    json_decref(none);
    if (r < 0)
        return -1;
    return store_doc_delete(ctx->tx, ACM_DOC_KIND, ctx->region, str(doc, "CertificateArn"), err);
}

/* ---- tags ---- */

API_ACTION(acm_add_tags)
{
    (void)out;
    _cleanup_json_ json_t *doc = NULL;
    int count;
    if (find(ctx, in, &doc, err) < 0)
        return -1;
    if (tags_put_keyed(ctx, str(doc, "CertificateArn"), json_object_get(in, "Tags"), &count, err) < 0)
        return err->kind == ERR_INVALID ? error_set(err, ACM_ERR_INVALID_TAG, "%s", err->msg) : -1;
    if (count > ACM_TAGS_MAX)
        return error_set(err, ACM_ERR_TOO_MANY_TAGS, "A certificate can have at most %d tags.", ACM_TAGS_MAX);
    return 0;
}

API_ACTION(acm_remove_tags)
{
    (void)out;
    _cleanup_json_ json_t *doc = NULL, *keys = json_array();
    if (find(ctx, in, &doc, err) < 0)
        return -1;
    /* ACM removes a tag given with its value only when the value matches. */
    _cleanup_json_ json_t *have = tags_list(ctx, str(doc, "CertificateArn"), err);
    if (!have)
        return -1;
    size_t i, j;
    json_t *t, *h;
    json_array_foreach(json_object_get(in, "Tags"), i, t) {
        json_array_foreach(have, j, h) {
            if (strcmp(str(h, "key"), str(t, "Key")) == 0 &&
                (!json_object_get(t, "Value") || strcmp(str(h, "value"), str(t, "Value")) == 0))
                json_array_append(keys, json_object_get(h, "key"));
        }
    }
    return json_array_size(keys) ? store_tags_remove(ctx->tx, str(doc, "CertificateArn"), keys, err) : 0;
}

API_ACTION(acm_list_tags)
{
    _cleanup_json_ json_t *doc = NULL;
    if (find(ctx, in, &doc, err) < 0)
        return -1;
    _cleanup_json_ json_t *tags = tags_list(ctx, str(doc, "CertificateArn"), err);
    if (!tags)
        return -1;
    json_object_set_new(out, "Tags", tags_to_keyed(tags));
    return 0;
}

API_ACTION(acm_request_certificate)
{
    (void)ctx, (void)in, (void)out;
    return error_set(err, ACM_ERR_NOT_IMPLEMENTED,
                     "berth cannot issue certificates: it has no way to validate a domain (DNS or e-mail validation "
                     "needs the public internet). Import one with ImportCertificate.");
}
