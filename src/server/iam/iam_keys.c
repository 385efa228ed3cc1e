/* iam_keys.c - an IAM user's access keys: CreateAccessKey (at most two per
 * user, as IAM), ListAccessKeys, UpdateAccessKey (Active/Inactive) and
 * DeleteAccessKey.  Keys go through the keyring in the request's
 * transaction, so a new key signs requests as soon as the reply is sent
 * and a deleted or deactivated one stops at once.  The secret is returned
 * once, by CreateAccessKey, and stored only sealed. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/iam/iam_actions.h"
#include "server/iam/iam_common.h"
#include "server/iam/keyring.h"
#include "server/store/store_keys.h"

#define MAX_KEYS_PER_USER 2

/* The user a key call is about: UserName, else the calling user. */
static int key_owner(struct op_ctx *ctx, json_t *in, struct iam_entity_row *ret, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "UserName"));
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "arn:aws:iam::%s:user/", ctx->account);
    if (!name && strncmp(ctx->caller, prefix, strlen(prefix)) == 0)
        name = strrchr(ctx->caller, '/') + 1;
    if (!name)
        return error_set(err, ERR_INVALID,
                         "Must specify userName when calling with non-User credentials "
                         "(berth's root key comes from BERTH_ROOT_ACCESS_KEY_ID).");
    return iam_entity_must_get(ctx, &IAM_USER, name, ret, err);
}

static void rows_freep(struct access_key_row **rows) { free(*rows); }

/* The user's long-term keys (temporary ones from GetSessionToken are not
 * access keys IAM lists or counts). */
static int user_keys(struct op_ctx *ctx, const struct iam_entity_row *user, struct access_key_row **ret, size_t *ret_n,
                     struct error *err)
{
    struct access_key_row *rows = NULL;
    size_t n = 0, kept = 0;
    if (store_keys_list_by_principal(ctx->tx, user->arn, &rows, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!rows[i].session_token_sha256[0])
            rows[kept++] = rows[i];
    *ret = rows;
    *ret_n = kept;
    return 0;
}

API_ACTION(iam_create_access_key)
{
    struct iam_service *svc = ctx->service;
    struct iam_entity_row user = {0};
    if (key_owner(ctx, in, &user, err) < 0)
        return -1;
    _cleanup_(rows_freep) struct access_key_row *rows = NULL;
    size_t n = 0;
    int rc = user_keys(ctx, &user, &rows, &n, err);
    if (rc == 0 && n >= MAX_KEYS_PER_USER)
        rc = error_set(err, ERR_LIMIT, "Cannot exceed quota for AccessKeysPerUser: %d", MAX_KEYS_PER_USER);
    char id[21], secret[41];
    if (rc == 0 && (keyring_new_key_id("AKIA", id) < 0 || keyring_new_secret(secret) < 0))
        rc = error_set(err, ERR_INTERNAL, "no random bytes for an access key");
    if (rc == 0) {
        struct key_record rec = {.access_key_id = id, .secret = secret, .principal_arn = user.arn, .status = "Active"};
        rc = keyring_put(svc->keyring, ctx->tx, &rec, err);
    }
    if (rc == 0)
        json_object_set_new(out, "AccessKey",
                            json_pack("{s:s, s:s, s:s, s:s, s:o}", "UserName", user.name, "AccessKeyId", id, "Status",
                                      "Active", "SecretAccessKey", secret, "CreateDate", iam_time(ctx->now)));
    OPENSSL_cleanse(secret, sizeof(secret));
    iam_entity_row_clear(&user);
    return rc;
}

API_ACTION(iam_list_access_keys)
{
    struct iam_entity_row user = {0};
    if (key_owner(ctx, in, &user, err) < 0)
        return -1;
    _cleanup_(rows_freep) struct access_key_row *rows = NULL;
    size_t n = 0;
    int rc = user_keys(ctx, &user, &rows, &n, err);
    json_t *list = json_array();
    json_object_set_new(out, "AccessKeyMetadata", list);
    for (size_t i = 0; rc == 0 && i < n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}", "UserName", user.name, "AccessKeyId",
                                              rows[i].access_key_id, "Status", rows[i].status, "CreateDate",
                                              iam_time(rows[i].created_at)));
    json_object_set_new(out, "IsTruncated", json_false());
    iam_entity_row_clear(&user);
    return rc;
}

/* The key in's AccessKeyId names, which must be the user's. */
static int users_key(struct op_ctx *ctx, json_t *in, struct iam_entity_row *user, struct error *err)
{
    const char *id = json_string_value(json_object_get(in, "AccessKeyId"));
    if (key_owner(ctx, in, user, err) < 0)
        return -1;
    _cleanup_(rows_freep) struct access_key_row *rows = NULL;
    size_t n = 0;
    if (user_keys(ctx, user, &rows, &n, err) < 0) {
        iam_entity_row_clear(user);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].access_key_id, id) == 0)
            return 0;
    iam_entity_row_clear(user);
    return error_set(err, ERR_NOT_FOUND, "The Access Key with id %.128s cannot be found.", id);
}

API_ACTION(iam_update_access_key)
{
    struct iam_service *svc = ctx->service;
    struct iam_entity_row user = {0};
    if (users_key(ctx, in, &user, err) < 0)
        return -1;
    iam_entity_row_clear(&user);
    return keyring_set_status(svc->keyring, ctx->tx, json_string_value(json_object_get(in, "AccessKeyId")),
                              json_string_value(json_object_get(in, "Status")), err);
}

API_ACTION(iam_delete_access_key)
{
    struct iam_service *svc = ctx->service;
    struct iam_entity_row user = {0};
    if (users_key(ctx, in, &user, err) < 0)
        return -1;
    iam_entity_row_clear(&user);
    return keyring_delete(svc->keyring, ctx->tx, json_string_value(json_object_get(in, "AccessKeyId")), err);
}
