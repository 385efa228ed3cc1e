/* keyring.c - access keys in memory (see keyring.h).  Few keys, read on
 * every request and changed rarely: an array under a read-write lock. */
#include "server/iam/keyring.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "server/iam/secret_box.h"
#include "server/store/store.h"
#include "server/store/store_keys.h"

#define MAX_KEYS 1024
#define KEY_ID_MAX 128
#define SECRET_MAX 128

struct key {
    char id[KEY_ID_MAX + 1];
    char secret[SECRET_MAX + 1];
    char principal[256];
};

struct keyring {
    pthread_rwlock_t lock;
    struct key *keys;
    size_t n, cap;
    char root_arn[256];
};

static int add_key(struct keyring *k, const char *id, const char *secret, const char *principal, struct error *err)
{
    if (k->n == MAX_KEYS || array_reserve(&k->keys, &k->cap, k->n + 1, sizeof(*k->keys)) < 0)
        return error_set(err, ERR_LIMIT, "more than %d access keys", MAX_KEYS);
    struct key *e = &k->keys[k->n++];
    snprintf(e->id, sizeof(e->id), "%s", id);
    snprintf(e->secret, sizeof(e->secret), "%s", secret);
    snprintf(e->principal, sizeof(e->principal), "%s", principal);
    return 0;
}

/* Random text of n characters from alphabet. */
static int random_text(char *out, size_t n, const char *alphabet)
{
    unsigned char raw[64];
    size_t m = strlen(alphabet);
    if (n > sizeof(raw) || RAND_bytes(raw, (int)n) != 1)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[raw[i] % m];
    out[n] = '\0';
    OPENSSL_cleanse(raw, sizeof(raw));
    return 0;
}

/* The root key's id and secret: from the environment, or new ones that
 * are written to DATA/credentials.  Key ids as AWS shapes them. */
static int root_key_material(const char *data_dir, char *id, char *secret, struct error *err)
{
    const char *env_id = getenv("BERTH_ROOT_ACCESS_KEY_ID"), *env_secret = getenv("BERTH_ROOT_SECRET_ACCESS_KEY");
    if (env_id && *env_id && env_secret && *env_secret) {
        if (strlen(env_id) < 16 || strlen(env_id) > KEY_ID_MAX ||
            strspn(env_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(env_id) || strlen(env_secret) < 16 ||
            strlen(env_secret) > SECRET_MAX)
            return error_set(err, ERR_INVALID,
                             "BERTH_ROOT_ACCESS_KEY_ID must be 16-128 upper-case letters and digits, and "
                             "BERTH_ROOT_SECRET_ACCESS_KEY 16-128 characters");
        snprintf(id, KEY_ID_MAX + 1, "%s", env_id);
        snprintf(secret, SECRET_MAX + 1, "%s", env_secret);
        return 0;
    }
    memcpy(id, "AKIA", 4);
    if (random_text(id + 4, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") < 0 ||
        random_text(secret, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") < 0)
        return error_set(err, ERR_INTERNAL, "no random bytes for the root key");
    _cleanup_buf_ struct buf file;
    buf_init(&file, 4096);
    buf_printf(&file, "[berth]\naws_access_key_id = %s\naws_secret_access_key = %s\n", id, secret);
    int rc = fs_write_private(data_dir, "credentials", file.data, file.len, err);
    OPENSSL_cleanse(file.data, file.len);
    if (rc == 0)
        log_info("keyring: generated the account's root key; its credentials are in %s/credentials (profile berth)",
                 data_dir);
    return rc;
}

/* Store the root key, sealed, in its own transaction. */
static int store_root(struct store *store, const struct secret_box *box, const char *arn, const char *id,
                      const char *secret, struct error *err)
{
    _cleanup_buf_ struct buf sealed;
    buf_init(&sealed, 1024);
    struct access_key_row row = {.created_at = time_now()};
    snprintf(row.access_key_id, sizeof(row.access_key_id), "%s", id);
    snprintf(row.principal_arn, sizeof(row.principal_arn), "%s", arn);
    snprintf(row.status, sizeof(row.status), "Active");
    if (secret_box_seal(box, secret, strlen(secret), &sealed, err) < 0)
        return -1;
    EVP_EncodeBlock((unsigned char *)row.sealed_secret, (const unsigned char *)sealed.data, (int)sealed.len);
    struct store_tx *tx = NULL;
    if (store_begin(store, true, &tx, err) < 0)
        return -1;
    if (store_key_put(tx, &row, err) < 0) {
        store_rollback(tx);
        return -1;
    }
    return store_commit(tx, err);
}

/* Open one stored key's secret and keep it. */
static int load_row(struct keyring *k, const struct secret_box *box, const struct access_key_row *row,
                    struct error *err)
{
    unsigned char raw[512];
    int n = EVP_DecodeBlock(raw, (const unsigned char *)row->sealed_secret, (int)strlen(row->sealed_secret));
    size_t pad = strlen(row->sealed_secret) - strcspn(row->sealed_secret, "=");
    _cleanup_buf_ struct buf secret;
    buf_init(&secret, SECRET_MAX);
    int rc = n < 0 ? error_set(err, ERR_INVALID, "access key %s: sealed secret is not base64", row->access_key_id)
                   : secret_box_open_sealed(box, raw, (size_t)n - pad, &secret, err);
    if (rc == 0)
        rc = add_key(k, row->access_key_id, secret.data, row->principal_arn, err);
    if (secret.data)
        OPENSSL_cleanse(secret.data, secret.len);
    return rc < 0 ? error_prefix(err, "access key %s", row->access_key_id) : 0;
}

static int load_all(struct keyring *k, struct store *store, const struct secret_box *box, struct error *err)
{
    struct store_tx *tx = NULL;
    _cleanup_free_ struct access_key_row *rows = NULL;
    size_t n = 0;
    if (store_begin(store, false, &tx, err) < 0)
        return -1;
    int rc = store_keys_list(tx, &rows, &n, err);
    store_rollback(tx);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (strcmp(rows[i].status, "Active") == 0)
            rc = load_row(k, box, &rows[i], err);
    if (rows)
        OPENSSL_cleanse(rows, n * sizeof(*rows));
    return rc;
}

static inline void keyring_freep(struct keyring **k) { keyring_free(*k); }

/* Make the root key when the store has none: material, sealed row, memory. */
static int make_root(struct keyring *k, struct store *store, const struct secret_box *box, const char *data_dir,
                     struct error *err)
{
    char id[KEY_ID_MAX + 1], secret[SECRET_MAX + 1];
    int rc = root_key_material(data_dir, id, secret, err);
    if (rc == 0)
        rc = store_root(store, box, k->root_arn, id, secret, err);
    if (rc == 0)
        rc = add_key(k, id, secret, k->root_arn, err);
    OPENSSL_cleanse(secret, sizeof(secret));
    return rc;
}

int keyring_open(struct store *store, const struct secret_box *box, const char *data_dir, const char *account,
                 struct keyring **ret, struct error *err)
{
    _cleanup_(keyring_freep) struct keyring *k = calloc(1, sizeof(*k));
    if (!k)
        return error_set(err, ERR_INTERNAL, "out of memory");
    pthread_rwlock_init(&k->lock, NULL);
    snprintf(k->root_arn, sizeof(k->root_arn), "arn:aws:iam::%s:root", account);
    if (load_all(k, store, box, err) < 0)
        return -1;
    if (keyring_root(k, NULL, 0, NULL, 0) < 0 && make_root(k, store, box, data_dir, err) < 0)
        return -1;
    *ret = TAKE_PTR(k);
    return 0;
}

void keyring_free(struct keyring *k)
{
    if (!k)
        return;
    if (k->keys)
        OPENSSL_cleanse(k->keys, k->cap * sizeof(*k->keys));
    free(k->keys);
    pthread_rwlock_destroy(&k->lock);
    free(k);
}

int keyring_lookup(void *keyring, const char *access_key_id, char *ret_secret, size_t secret_cap, char *ret_principal,
                   size_t principal_cap)
{
    struct keyring *k = keyring;
    int found = 0;
    pthread_rwlock_rdlock(&k->lock);
    for (size_t i = 0; i < k->n && !found; i++) {
        if (strcmp(k->keys[i].id, access_key_id) != 0)
            continue;
        snprintf(ret_secret, secret_cap, "%s", k->keys[i].secret);
        snprintf(ret_principal, principal_cap, "%s", k->keys[i].principal);
        found = 1;
    }
    pthread_rwlock_unlock(&k->lock);
    return found;
}

int keyring_root(struct keyring *k, char *ret_key, size_t key_cap, char *ret_secret, size_t secret_cap)
{
    int rc = -1;
    pthread_rwlock_rdlock(&k->lock);
    for (size_t i = 0; i < k->n && rc < 0; i++) {
        if (strcmp(k->keys[i].principal, k->root_arn) != 0)
            continue;
        if (ret_key)
            snprintf(ret_key, key_cap, "%s", k->keys[i].id);
        if (ret_secret)
            snprintf(ret_secret, secret_cap, "%s", k->keys[i].secret);
        rc = 0;
    }
    pthread_rwlock_unlock(&k->lock);
    return rc;
}
