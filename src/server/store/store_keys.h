/* store_keys.h - access keys in the store: who a key stands for and its
 * secret, sealed by the caller (server/iam/secret_box) before it gets here. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

struct access_key_row {
    char access_key_id[129];
    char principal_arn[256];
    char sealed_secret[512]; /* base64 of nonce || tag || ciphertext */
    char status[16];         /* Active | Inactive */
    int64_t created_at;      /* usec */
};

int store_key_put(struct store_tx *tx, const struct access_key_row *row, struct error *err);
/* Every key, oldest first, in a new array the caller frees (NULL: none). */
int store_keys_list(struct store_tx *tx, struct access_key_row **ret_rows, size_t *ret_count, struct error *err);
