/* keyring.c - access keys (see keyring.h).  Read on every request, written
 * rarely: a small cache of opened keys under a read-write lock in front of
 * the access_keys table.  A commit that changed keys empties the cache and
 * bumps its generation; a key read from the store is cached only if no such
 * commit happened while it was being read, so a stale key never sticks. */
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
#include "common/sigv4.h"
#include "server/http/api.h"
#include "server/iam/secret_box.h"
#include "server/store/store.h"
#include "server/store/store_keys.h"

#define CACHE_MAX 4096

struct keyring {
    pthread_rwlock_t lock;
    struct api_key *cache;
    char (*cache_ids)[KEYRING_KEY_ID_MAX + 1];
    size_t n;
    unsigned long generation;
    struct store *store;
    const struct secret_box *box;
    char root_arn[256];
    char root_id[KEYRING_KEY_ID_MAX + 1];
    char root_secret[KEYRING_SECRET_MAX + 1];
};

/* Random text of n characters from alphabet. */
static int random_text(char *out, size_t n, const char *alphabet)
{
    unsigned char raw[KEYRING_SESSION_TOKEN_LEN];
    size_t m = strlen(alphabet);
    if (n > sizeof(raw) || RAND_bytes(raw, (int)n) != 1)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[raw[i] % m];
    out[n] = '\0';
    OPENSSL_cleanse(raw, sizeof(raw));
    return 0;
}

#define ID_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define SECRET_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

int keyring_new_key_id(const char *prefix, char out[21])
{
    if (strlen(prefix) != 4)
        return -1;
    memcpy(out, prefix, 4);
    return random_text(out + 4, 16, ID_ALPHABET);
}

int keyring_new_secret(char out[41]) { return random_text(out, 40, SECRET_ALPHABET); }

int keyring_new_session_token(char *out, size_t cap)
{
    return cap > KEYRING_SESSION_TOKEN_LEN ? random_text(out, KEYRING_SESSION_TOKEN_LEN, SECRET_ALPHABET) : -1;
}

/* ---- the cache ---- */

static void forget_all_locked(struct keyring *k)
{
    if (k->cache)
        OPENSSL_cleanse(k->cache, k->n * sizeof(*k->cache));
    k->n = 0;
    k->generation++;
}

static void forget_on_commit(void *ud, bool committed)
{
    struct keyring *k = ud;
    if (!committed)
        return;
    pthread_rwlock_wrlock(&k->lock);
    forget_all_locked(k);
    pthread_rwlock_unlock(&k->lock);
}

static int cached(struct keyring *k, const char *id, struct api_key *ret)
{
    int found = 0;
    pthread_rwlock_rdlock(&k->lock);
    for (size_t i = 0; i < k->n && !found; i++)
        if (strcmp(k->cache_ids[i], id) == 0) {
            *ret = k->cache[i];
            found = 1;
        }
    pthread_rwlock_unlock(&k->lock);
    return found;
}

static void remember(struct keyring *k, unsigned long generation, const char *id, const struct api_key *key)
{
    pthread_rwlock_wrlock(&k->lock);
    if (k->generation == generation) {
        if (k->n == CACHE_MAX)
            forget_all_locked(k); /* many keys in use: start over rather than grow without bound */
        snprintf(k->cache_ids[k->n], sizeof(k->cache_ids[k->n]), "%s", id);
        k->cache[k->n++] = *key;
    }
    pthread_rwlock_unlock(&k->lock);
}

/* One stored key's secret, opened. */
static int open_row(const struct secret_box *box, const struct access_key_row *row, char *secret, size_t cap,
                    struct error *err)
{
    unsigned char raw[512];
    size_t len = strlen(row->sealed_secret);
    int n = EVP_DecodeBlock(raw, (const unsigned char *)row->sealed_secret, (int)len);
    size_t pad = len - strcspn(row->sealed_secret, "=");
    _cleanup_buf_ struct buf plain;
    buf_init(&plain, KEYRING_SECRET_MAX);
    int rc = n < 0 || (size_t)n < pad
                 ? error_set(err, ERR_INVALID, "access key %s: sealed secret is not base64", row->access_key_id)
                 : secret_box_open_sealed(box, raw, (size_t)n - pad, &plain, err);
    if (rc == 0 && (plain.failed || plain.len >= cap))
        rc = error_set(err, ERR_INVALID, "access key %s: secret too long", row->access_key_id);
    if (rc == 0)
        snprintf(secret, cap, "%.*s", (int)plain.len, plain.data);
    if (plain.data)
        OPENSSL_cleanse(plain.data, plain.len);
    OPENSSL_cleanse(raw, sizeof(raw));
    return rc;
}

/* Read one key from the store: 1 found and active, 0 not, -1 error. */
static int load_key(struct keyring *k, const char *id, struct api_key *ret, struct error *err)
{
    struct store_tx *tx = NULL;
    struct access_key_row row;
    if (store_begin(k->store, false, &tx, err) < 0)
        return -1;
    int found = store_key_get(tx, id, &row, err);
    store_rollback(tx);
    if (found <= 0 || strcmp(row.status, "Active") != 0)
        return found < 0 ? -1 : 0;
    memset(ret, 0, sizeof(*ret));
    int rc = open_row(k->box, &row, ret->secret, sizeof(ret->secret), err);
    snprintf(ret->principal, sizeof(ret->principal), "%s", row.principal_arn);
    snprintf(ret->session_token_sha256, sizeof(ret->session_token_sha256), "%s", row.session_token_sha256);
    ret->expires_at = row.expires_at;
    OPENSSL_cleanse(row.sealed_secret, sizeof(row.sealed_secret));
    return rc < 0 ? -1 : 1;
}

int keyring_lookup(void *keyring, const char *access_key_id, struct api_key *ret)
{
    struct keyring *k = keyring;
    if (strlen(access_key_id) > KEYRING_KEY_ID_MAX)
        return 0;
    if (cached(k, access_key_id, ret))
        return 1;
    pthread_rwlock_rdlock(&k->lock);
    unsigned long generation = k->generation;
    pthread_rwlock_unlock(&k->lock);
    struct error err;
    error_clear(&err);
    int found = load_key(k, access_key_id, ret, &err);
    if (found < 0)
        log_error("keyring: cannot read access key %.40s: %s", access_key_id, err.msg);
    if (found > 0)
        remember(k, generation, access_key_id, ret);
    return found;
}

/* ---- writes ---- */

static int seal(const struct secret_box *box, const char *secret, char *out, size_t cap, struct error *err)
{
    _cleanup_buf_ struct buf sealed;
    buf_init(&sealed, 1024);
    if (strlen(secret) > KEYRING_SECRET_MAX)
        return error_set(err, ERR_INVALID, "secret longer than %d characters", KEYRING_SECRET_MAX);
    if (secret_box_seal(box, secret, strlen(secret), &sealed, err) < 0)
        return -1;
    if ((sealed.len + 2) / 3 * 4 >= cap)
        return error_set(err, ERR_INTERNAL, "sealed secret too long");
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)sealed.data, (int)sealed.len);
    return 0;
}

int keyring_put(struct keyring *k, struct store_tx *tx, const struct key_record *rec, struct error *err)
{
    struct access_key_row row = {.created_at = time_now(), .expires_at = rec->expires_at};
    if (strlen(rec->access_key_id) > KEYRING_KEY_ID_MAX || strlen(rec->principal_arn) >= sizeof(row.principal_arn))
        return error_set(err, ERR_INVALID, "access key id or principal too long");
    snprintf(row.access_key_id, sizeof(row.access_key_id), "%s", rec->access_key_id);
    snprintf(row.principal_arn, sizeof(row.principal_arn), "%s", rec->principal_arn);
    snprintf(row.status, sizeof(row.status), "%s", rec->status ? rec->status : "Active");
    if (rec->session_token)
        sigv4_sha256_hex(rec->session_token, strlen(rec->session_token), row.session_token_sha256);
    int rc = seal(k->box, rec->secret, row.sealed_secret, sizeof(row.sealed_secret), err);
    if (rc == 0)
        rc = store_key_put(tx, &row, err);
    if (rc == 0)
        rc = store_tx_on_end(tx, forget_on_commit, k, err);
    return rc;
}

int keyring_set_status(struct keyring *k, struct store_tx *tx, const char *access_key_id, const char *status,
                       struct error *err)
{
    if (store_key_set_status(tx, access_key_id, status, err) < 0)
        return -1;
    return store_tx_on_end(tx, forget_on_commit, k, err);
}

int keyring_delete(struct keyring *k, struct store_tx *tx, const char *access_key_id, struct error *err)
{
    if (store_key_delete(tx, access_key_id, err) < 0)
        return -1;
    return store_tx_on_end(tx, forget_on_commit, k, err);
}

/* ---- the root key ---- */

/* The root key's id and secret: from the environment, or new ones that
 * are written to DATA/credentials. */
static int root_key_material(const char *data_dir, char *id, char *secret, struct error *err)
{
    const char *env_id = getenv("BERTH_ROOT_ACCESS_KEY_ID"), *env_secret = getenv("BERTH_ROOT_SECRET_ACCESS_KEY");
    if (env_id && *env_id && env_secret && *env_secret) {
        if (strlen(env_id) < 16 || strlen(env_id) > KEYRING_KEY_ID_MAX ||
            strspn(env_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(env_id) || strlen(env_secret) < 16 ||
            strlen(env_secret) > KEYRING_SECRET_MAX)
            return error_set(err, ERR_INVALID,
                             "BERTH_ROOT_ACCESS_KEY_ID must be 16-128 upper-case letters and digits, and "
                             "BERTH_ROOT_SECRET_ACCESS_KEY 16-128 characters");
        snprintf(id, KEYRING_KEY_ID_MAX + 1, "%s", env_id);
        snprintf(secret, KEYRING_SECRET_MAX + 1, "%s", env_secret);
        return 0;
    }
    if (keyring_new_key_id("AKIA", id) < 0 || keyring_new_secret(secret) < 0)
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

/* Find the root key in the store, or make it; keep it for keyring_root. */
static int find_or_make_root(struct keyring *k, const char *data_dir, struct error *err)
{
    struct store_tx *tx = NULL;
    _cleanup_free_ struct access_key_row *rows = NULL;
    size_t n = 0;
    if (store_begin(k->store, false, &tx, err) < 0)
        return -1;
    int rc = store_keys_list_by_principal(tx, k->root_arn, &rows, &n, err);
    store_rollback(tx);
    for (size_t i = 0; rc == 0 && i < n && !k->root_id[0]; i++) {
        if (strcmp(rows[i].status, "Active") != 0)
            continue;
        rc = open_row(k->box, &rows[i], k->root_secret, sizeof(k->root_secret), err);
        if (rc == 0)
            snprintf(k->root_id, sizeof(k->root_id), "%s", rows[i].access_key_id);
    }
    if (rows)
        OPENSSL_cleanse(rows, n * sizeof(*rows));
    if (rc < 0 || k->root_id[0])
        return rc;
    if (root_key_material(data_dir, k->root_id, k->root_secret, err) < 0 || store_begin(k->store, true, &tx, err) < 0)
        return -1;
    struct key_record rec = {k->root_id, k->root_secret, k->root_arn, "Active", NULL, 0};
    if (keyring_put(k, tx, &rec, err) < 0) {
        store_rollback(tx);
        return -1;
    }
    return store_commit(tx, err);
}

static inline void keyring_freep(struct keyring **k) { keyring_free(*k); }

int keyring_open(struct store *store, const struct secret_box *box, const char *data_dir, const char *account,
                 struct keyring **ret, struct error *err)
{
    _cleanup_(keyring_freep) struct keyring *k = calloc(1, sizeof(*k));
    if (!k)
        return error_set(err, ERR_INTERNAL, "out of memory");
    pthread_rwlock_init(&k->lock, NULL);
    k->cache = calloc(CACHE_MAX, sizeof(*k->cache));
    k->cache_ids = calloc(CACHE_MAX, sizeof(*k->cache_ids));
    if (!k->cache || !k->cache_ids)
        return error_set(err, ERR_INTERNAL, "out of memory");
    k->store = store;
    k->box = box;
    snprintf(k->root_arn, sizeof(k->root_arn), "arn:aws:iam::%s:root", account);
    if (find_or_make_root(k, data_dir, err) < 0)
        return -1;
    *ret = TAKE_PTR(k);
    return 0;
}

void keyring_free(struct keyring *k)
{
    if (!k)
        return;
    if (k->cache)
        OPENSSL_cleanse(k->cache, CACHE_MAX * sizeof(*k->cache));
    OPENSSL_cleanse(k->root_secret, sizeof(k->root_secret));
    free(k->cache);
    free(k->cache_ids);
    pthread_rwlock_destroy(&k->lock);
    free(k);
}

int keyring_root(struct keyring *k, char *ret_key, size_t key_cap, char *ret_secret, size_t secret_cap)
{
    if (!k->root_id[0])
        return -1;
    if (ret_key)
        snprintf(ret_key, key_cap, "%s", k->root_id);
    if (ret_secret)
        snprintf(ret_secret, secret_cap, "%s", k->root_secret);
    return 0;
}
