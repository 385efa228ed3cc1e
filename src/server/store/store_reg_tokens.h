/* store_reg_tokens.h - cluster registration tokens in the store: which
 * cluster a token admits agents to, until when, and whether it was revoked.
 * Only a token's SHA-256 is kept (the caller hashes): the database alone
 * lets nobody register an agent. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "server/store/store.h"

struct reg_token_row {
    char token_id[33];
    char region[33]; /* the cluster's: where a registration with it lands */
    int64_t cluster_id;
    char token_hash[65]; /* hex SHA-256 of the whole token */
    char created_by[256];
    usec_t created_at;
    usec_t expires_at;
    usec_t revoked_at;   /* 0: not revoked */
    usec_t last_used_at; /* 0: never used */
};

/* Insert a new token (row->token_id must be new). */
int store_reg_token_put(struct store_tx *tx, const struct reg_token_row *row, struct error *err);
/* 1 and *ret_row filled when found, 0 when absent, -1 on error. */
int store_reg_token_get(struct store_tx *tx, const char *token_id, struct reg_token_row *ret_row, struct error *err);
/* A cluster's tokens, oldest first, after token `after` (NULL: from the
 * start), at most limit, in a new array the caller frees (NULL: none);
 * *ret_more when more follow. */
int store_reg_tokens_list(struct store_tx *tx, int64_t cluster_id, const char *after, int limit,
                          struct reg_token_row **ret_rows, size_t *ret_count, bool *ret_more, struct error *err);
/* Mark a token of cluster_id revoked at `at` (a revoked token stays
 * revoked, at its first time); 1 done, 0 no such token, -1 error. */
int store_reg_token_revoke(struct store_tx *tx, int64_t cluster_id, const char *token_id, usec_t at, struct error *err);
/* Record that a token registered an instance at `at`. */
int store_reg_token_used(struct store_tx *tx, const char *token_id, usec_t at, struct error *err);
