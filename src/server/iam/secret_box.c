/* secret_box.c - AES-256-GCM over OpenSSL's EVP interface (see
 * secret_box.h).  A fresh random nonce per seal; the key never leaves this
 * file's struct and is wiped when it is freed. */
#include "server/iam/secret_box.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"

#define KEY_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16
#define KEY_FILE "master.key"

struct secret_box {
    unsigned char key[KEY_BYTES];
};

static int load_key(const char *path, unsigned char key[KEY_BYTES], struct error *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? 0 : error_sys(err, "open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return error_sys(err, "stat %s", path);
    if (!S_ISREG(st.st_mode) || st.st_size != KEY_BYTES || (st.st_mode & 077))
        return error_set(err, ERR_INVALID, "%s must be a %d-byte file readable by its owner only", path, KEY_BYTES);
    if (read(fd, key, KEY_BYTES) != KEY_BYTES)
        return error_sys(err, "read %s", path);
    return 1;
}

static inline void secret_box_freep(struct secret_box **b) { secret_box_free(*b); }

int secret_box_open(const char *data_dir, struct secret_box **ret, struct error *err)
{
    char path[4200];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", data_dir, KEY_FILE) >= sizeof(path))
        return error_set(err, ERR_LIMIT, "data dir path too long");
    _cleanup_(secret_box_freep) struct secret_box *b = calloc(1, sizeof(*b));
    if (!b)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int found = load_key(path, b->key, err);
    if (found < 0)
        return -1;
    if (found == 0 && RAND_bytes(b->key, KEY_BYTES) != 1)
        return error_set(err, ERR_INTERNAL, "no random bytes for the master key");
    if (found == 0 && fs_write_private(data_dir, KEY_FILE, (const char *)b->key, KEY_BYTES, err) < 0)
        return -1;
    *ret = TAKE_PTR(b);
    return 0;
}

void secret_box_free(struct secret_box *b)
{
    if (!b)
        return;
    OPENSSL_cleanse(b->key, sizeof(b->key));
    free(b);
}

/* One AES-256-GCM pass: encrypt (tag out) or decrypt (tag in, checked). */
static int gcm(const struct secret_box *b, bool encrypt, const unsigned char *nonce, const unsigned char *in,
               size_t len, unsigned char *out, unsigned char *tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok = c != NULL;
    ok = ok && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, b->key, nonce, encrypt ? 1 : 0) == 1;
    ok = ok && (len == 0 || EVP_CipherUpdate(c, out, &n, in, (int)len) == 1);
    if (ok && !encrypt)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(c, out + n, &n) == 1;
    if (ok && encrypt)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

int secret_box_seal(const struct secret_box *b, const void *plaintext, size_t len, struct buf *out, struct error *err)
{
    if (len > (1u << 20) || buf_reserve(out, SECRET_BOX_OVERHEAD + len) < 0)
        return error_set(err, ERR_LIMIT, "secret too large to seal");
    unsigned char *p = (unsigned char *)out->data + out->len;
    if (RAND_bytes(p, NONCE_BYTES) != 1 ||
        gcm(b, true, p, plaintext, len, p + NONCE_BYTES + TAG_BYTES, p + NONCE_BYTES) < 0)
        return error_set(err, ERR_INTERNAL, "cannot seal a secret");
    out->len += SECRET_BOX_OVERHEAD + len;
    out->data[out->len] = '\0';
    return 0;
}

int secret_box_open_sealed(const struct secret_box *b, const void *sealed, size_t len, struct buf *out,
                           struct error *err)
{
    if (len < SECRET_BOX_OVERHEAD || buf_reserve(out, len - SECRET_BOX_OVERHEAD) < 0)
        return error_set(err, ERR_INVALID, "sealed secret is truncated or too large");
    const unsigned char *s = sealed;
    unsigned char tag[TAG_BYTES];
    memcpy(tag, s + NONCE_BYTES, TAG_BYTES);
    unsigned char *p = (unsigned char *)out->data + out->len;
    if (gcm(b, false, s, s + SECRET_BOX_OVERHEAD, len - SECRET_BOX_OVERHEAD, p, tag) < 0) {
        OPENSSL_cleanse(p, len - SECRET_BOX_OVERHEAD);
        return error_set(err, ERR_INVALID, "sealed secret does not open under this master key");
    }
    out->len += len - SECRET_BOX_OVERHEAD;
    out->data[out->len] = '\0';
    return 0;
}
