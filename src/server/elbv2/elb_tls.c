/* elb_tls.c - HTTPS listeners' certificates as HAProxy's files (see
 * elb_tls.h).  A file is the certificate, its chain, then its private key
 * (HAProxy's "crt" format), named cert-<fingerprint>.pem.  The key is
 * opened from the secret box only here, written with fs_write_private and
 * wiped; no message names it. */
#include "server/elbv2/elb_tls.h"

#include <dirent.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/sigv4.h"
#include "server/acm/acm.h"
#include "server/iam/secret_text.h"
#include "server/store/store_docs.h"

static const char *str(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* The region of an ACM ARN (arn:aws:acm:REGION:...) into out. */
static void acm_region(const char *arn, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = arn && strncmp(arn, "arn:aws:acm:", 12) == 0 ? arn + 12 : NULL;
    const char *end = p ? strchr(p, ':') : NULL;
    if (end)
        snprintf(out, cap, "%.*s", (int)(end - p), p);
}

static void add_cert(struct store_tx *tx, const char *arn, json_t *certs, json_t *docs)
{
    char region[64];
    acm_region(arn, region, sizeof(region));
    json_t *doc = NULL;
    struct error err = {0};
    if (!*region || json_object_get(certs, arn) || store_doc_get(tx, ACM_DOC_KIND, region, arn, &doc, &err) <= 0)
        return;
    if (!str(doc, "Certificate") || !str(doc, "berthSealedKey")) {
        json_decref(doc);
        return;
    }
    _cleanup_buf_ struct buf b;
    buf_init(&b, 4 * ACM_PEM_MAX);
    buf_printf(&b, "%s\n%s\n%s", str(doc, "Certificate"),
               str(doc, "CertificateChain") ? str(doc, "CertificateChain") : "", str(doc, "berthSealedKey"));
    char hex[65], name[64];
    sigv4_sha256_hex(b.data ? b.data : "", b.len, hex);
    snprintf(name, sizeof(name), "cert-%.24s.pem", hex);
    json_object_set_new(certs, arn, json_string(name));
    json_object_set_new(docs, name, doc);
}

void elb_tls_certs(struct store_tx *tx, json_t *listeners, json_t *ret_certs, json_t *ret_docs)
{
    size_t i, k;
    json_t *l, *c;
    json_array_foreach(listeners, i, l) {
        if (!str(l, "Protocol") || strcmp(str(l, "Protocol"), "HTTPS") != 0)
            continue;
        json_array_foreach(json_object_get(l, "Certificates"), k, c)
            add_cert(tx, str(c, "CertificateArn"), ret_certs, ret_docs);
        json_array_foreach(json_object_get(l, "berthCertificates"), k, c)
            add_cert(tx, str(c, "CertificateArn"), ret_certs, ret_docs);
    }
}

/* One certificate's file: certificate, chain, key. */
static int write_one(const struct secret_box *box, const char *dir, const char *name, json_t *doc, struct error *err)
{
    _cleanup_buf_ struct buf key, pem;
    buf_init(&key, 4 * ACM_PEM_MAX);
    buf_init(&pem, 8 * ACM_PEM_MAX);
    int r = -1;
    if (secret_text_open(box, str(doc, "berthSealedKey"), &key, err) < 0) {
        error_prefix(err, "the private key of %s cannot be opened", str(doc, "CertificateArn"));
        goto out;
    }
    const char *chain = str(doc, "CertificateChain");
    buf_printf(&pem, "%s\n", str(doc, "Certificate"));
    if (chain)
        buf_printf(&pem, "%s\n", chain);
    buf_append(&pem, key.data, key.len);
    buf_append_char(&pem, '\n');
    if (pem.failed) {
        error_set(err, ERR_LIMIT, "the certificate %s is too large", str(doc, "CertificateArn"));
        goto out;
    }
    r = fs_write_private(dir, name, pem.data, pem.len, err);
out:
    if (key.data)
        OPENSSL_cleanse(key.data, key.len);
    if (pem.data)
        OPENSSL_cleanse(pem.data, pem.len);
    return r;
}

int elb_tls_write(const struct secret_box *box, const char *dir, json_t *docs, struct error *err)
{
    if (fs_mkdir_p(dir, 0700, err) < 0)
        return -1;
    const char *name;
    json_t *doc;
    json_object_foreach(docs, name, doc) {
        char path[1400];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (access(path, F_OK) < 0 && write_one(box, dir, name, doc, err) < 0)
            return -1;
    }
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "cert-", 5) == 0 && len > 4 && strcmp(e->d_name + len - 4, ".pem") == 0 &&
            !json_object_get(docs, e->d_name))
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
    return 0;
}
