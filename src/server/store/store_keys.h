/* store_keys.h - access keys in the store: who a key stands for and its
 * secret, sealed by the caller (server/iam/secret_box) before it gets here. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

struct access_key_row {
    char access_key_id[129];
    char principal_arn[256];
    char sealed_secret[512];       /* base64 of nonce || tag || ciphertext */
    char status[16];               /* Active | Inactive */
    char session_token_sha256[65]; /* temporary credentials only, else "" */
    int64_t created_at;            /* usec */
    int64_t expires_at;            /* usec; 0: never */
};

int store_key_put(struct store_tx *tx, const struct access_key_row *row, struct error *err);
/* 1 with *ret filled, 0 if there is no such key. */
int store_key_get(struct store_tx *tx, const char *access_key_id, struct access_key_row *ret, struct error *err);
/* 0, or -1 with ERR_NOT_FOUND when there is no such key. */
int store_key_set_status(struct store_tx *tx, const char *access_key_id, const char *status, struct error *err);
int store_key_delete(struct store_tx *tx, const char *access_key_id, struct error *err);
/* Every key, oldest first, in a new array the caller frees (NULL: none). */
int store_keys_list(struct store_tx *tx, struct access_key_row **ret_rows, size_t *ret_count, struct error *err);
/* The keys of one principal, oldest first; rows as store_keys_list's. */
int store_keys_list_by_principal(struct store_tx *tx, const char *principal_arn, struct access_key_row **ret_rows,
                                 size_t *ret_count, struct error *err);
/* Forget temporary keys that expired before `before` (usec); how many. */
int store_keys_expire(struct store_tx *tx, int64_t before, int64_t *ret_count, struct error *err);
