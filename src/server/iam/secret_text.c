/* secret_text.c - sealed values as base64 text (see secret_text.h).  It
 * neither knows which service keeps the value nor logs it. */
#include "server/iam/secret_text.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

int secret_text_seal(const struct secret_box *b, const void *plaintext, size_t len, char **ret_text, struct error *err)
{
    _cleanup_buf_ struct buf sealed;
    buf_init(&sealed, len + SECRET_BOX_OVERHEAD + 1);
    if (secret_box_seal(b, plaintext, len, &sealed, err) < 0)
        return -1;
    size_t cap = (sealed.len + 2) / 3 * 4 + 1;
    char *text = malloc(cap);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    EVP_EncodeBlock((unsigned char *)text, (const unsigned char *)sealed.data, (int)sealed.len);
    *ret_text = text;
    return 0;
}

int secret_text_open(const struct secret_box *b, const char *text, struct buf *out, struct error *err)
{
    size_t len = strlen(text);
    if (len == 0 || len % 4 != 0)
        return error_set(err, ERR_INTERNAL, "sealed value is not base64");
    unsigned char *raw = malloc(len / 4 * 3);
    if (!raw)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int n = EVP_DecodeBlock(raw, (const unsigned char *)text, (int)len);
    size_t pad = len - strcspn(text, "=");
    int r = n < 0 || (size_t)n < pad ? error_set(err, ERR_INTERNAL, "sealed value is not base64")
                                     : secret_box_open_sealed(b, raw, (size_t)n - pad, out, err);
    OPENSSL_cleanse(raw, len / 4 * 3);
    free(raw);
    return r;
}
