/* digest.c - sha256 content digests over OpenSSL EVP.  Knows nothing of
 * registries or files; callers feed it bytes as they arrive. */
#include "agent/image/digest.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

struct digester {
    EVP_MD_CTX *ctx;
};

int digester_new(struct digester **ret, struct error *err)
{
    struct digester *d = calloc(1, sizeof(*d));
    if (!d)
        return error_set(err, ERR_INTERNAL, "out of memory");
    d->ctx = EVP_MD_CTX_new();
    if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
        digester_free(d);
        return error_set(err, ERR_INTERNAL, "sha256 init failed");
    }
    *ret = d;
    return 0;
}

void digester_free(struct digester *d)
{
    if (!d)
        return;
    EVP_MD_CTX_free(d->ctx);
    free(d);
}

void digester_freep(struct digester **d) { digester_free(*d); }

int digester_reset(struct digester *d, struct error *err)
{
    if (EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1)
        return error_set(err, ERR_INTERNAL, "sha256 init failed");
    return 0;
}

int digester_update(struct digester *d, const void *buf, size_t len, struct error *err)
{
    if (len && EVP_DigestUpdate(d->ctx, buf, len) != 1)
        return error_set(err, ERR_INTERNAL, "sha256 update failed");
    return 0;
}

int digester_final(struct digester *d, char out[DIGEST_STR_LEN + 1], struct error *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(d->ctx, md, &n) != 1 || n != 32)
        return error_set(err, ERR_INTERNAL, "sha256 final failed");
    memcpy(out, "sha256:", 7);
    for (unsigned i = 0; i < n; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 15];
    }
    out[DIGEST_STR_LEN] = '\0';
    return digester_reset(d, err);
}

int digest_buffer(const void *buf, size_t len, char out[DIGEST_STR_LEN + 1], struct error *err)
{
    _cleanup_(digester_freep) struct digester *d = NULL;
    if (digester_new(&d, err) < 0 || digester_update(d, buf, len, err) < 0)
        return -1;
    return digester_final(d, out, err);
}

bool digest_valid(const char *s)
{
    if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != DIGEST_STR_LEN)
        return false;
    return strspn(s + 7, "0123456789abcdef") == DIGEST_HEX_LEN;
}
