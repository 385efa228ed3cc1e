/* keyring.h - the account's access keys in memory, for checking signatures
 * without a database read per request.  Loaded from the store (secrets
 * opened with the secret box) when the server starts; on the first start it
 * makes the account's root key: from BERTH_ROOT_ACCESS_KEY_ID /
 * BERTH_ROOT_SECRET_ACCESS_KEY when both are set, else generated and
 * written to DATA/credentials (0600, profile "berth") for the user. */
#pragma once

#include <stddef.h>

#include "common/error.h"

struct store;
struct secret_box;
struct keyring;

int keyring_open(struct store *store, const struct secret_box *box, const char *data_dir, const char *account,
                 struct keyring **ret, struct error *err);
void keyring_free(struct keyring *k);

/* api_keys.lookup: 1 with the secret and principal ARN of an active key,
 * 0 for an unknown one. */
int keyring_lookup(void *keyring, const char *access_key_id, char *ret_secret, size_t secret_cap, char *ret_principal,
                   size_t principal_cap);
/* The root key (for berth up's own agent); 0, or -1 if there is none. */
int keyring_root(struct keyring *k, char *ret_key, size_t key_cap, char *ret_secret, size_t secret_cap);
