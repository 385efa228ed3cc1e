/* keyring.h - the account's access keys, for checking signatures.  The
 * access_keys table is the truth; the keyring caches opened secrets so a
 * request costs no database read or decryption once its key was seen.
 * Writes go through keyring_put/set_status/delete in the caller's
 * transaction, and the cache forgets everything when that commits.
 *
 * On the first start it makes the account's root key: from
 * BERTH_ROOT_ACCESS_KEY_ID / BERTH_ROOT_SECRET_ACCESS_KEY when both are set,
 * else generated and written to DATA/credentials (0600, profile "berth"). */
#pragma once

#include <stddef.h>

#include "common/error.h"
#include "common/timeutil.h"

struct store;
struct store_tx;
struct secret_box;
struct keyring;
struct api_key;

#define KEYRING_KEY_ID_MAX 128
#define KEYRING_SECRET_MAX 128
#define KEYRING_SESSION_TOKEN_LEN 256

/* One key as a writer hands it over. */
struct key_record {
    const char *access_key_id;
    const char *secret;        /* plain; sealed with the secret box before it is stored */
    const char *principal_arn; /* arn:aws:iam::ACCT:root, ...:user/NAME, arn:aws:sts::ACCT:assumed-role/R/S, ... */
    const char *status;        /* "Active" | "Inactive" */
    const char *session_token; /* NULL for long-term keys; stored as its SHA-256 */
    usec_t expires_at;         /* 0: never */
};

int keyring_open(struct store *store, const struct secret_box *box, const char *data_dir, const char *account,
                 struct keyring **ret, struct error *err);
void keyring_free(struct keyring *k);

/* api_keys.lookup: 1 with an active key's secret, principal, session token
 * hash and expiry; 0 for an unknown or inactive one; -1 if the store failed. */
int keyring_lookup(void *keyring, const char *access_key_id, struct api_key *ret);
/* The root key (for berth up's own agent); 0, or -1 if there is none. */
int keyring_root(struct keyring *k, char *ret_key, size_t key_cap, char *ret_secret, size_t secret_cap);

/* Writes, in the caller's write transaction.  set_status and delete fail
 * with ERR_NOT_FOUND for a key that does not exist. */
int keyring_put(struct keyring *k, struct store_tx *tx, const struct key_record *rec, struct error *err);
int keyring_set_status(struct keyring *k, struct store_tx *tx, const char *access_key_id, const char *status,
                       struct error *err);
int keyring_delete(struct keyring *k, struct store_tx *tx, const char *access_key_id, struct error *err);

/* Fresh key material as AWS shapes it: ids are prefix ("AKIA" long-term,
 * "ASIA" temporary) + 16 characters of [A-Z2-7]; secrets 40 characters;
 * session tokens KEYRING_SESSION_TOKEN_LEN characters (cap must exceed it). */
int keyring_new_key_id(const char *prefix, char out[21]);
int keyring_new_secret(char out[41]);
int keyring_new_session_token(char *out, size_t cap);
