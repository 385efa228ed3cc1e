/* secrets_values.c - secrets and their values: CreateSecret,
 * GetSecretValue, PutSecretValue, UpdateSecret, and finding a secret by
 * name, ARN or partial ARN.  Values are sealed before they are stored and
 * never appear in an error message or a log line.
 *
 * Staging labels: a version with AWSCURRENT is what GetSecretValue gives by
 * default; when AWSCURRENT moves to a new version, the version that had it
 * gets AWSPREVIOUS.  Versions left without a label stay readable by id,
 * up to SECRETS_VERSIONS_MAX versions a secret. */
#include "server/secrets/secrets.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "common/timeutil.h"
#include "server/http/tags.h"
#include "server/iam/secret_text.h"
#include "server/store/store_secrets.h"
#include "server/store/store_tags.h"

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

int secrets_find(struct op_ctx *ctx, json_t *in, bool deleted_ok, json_t **ret_doc, struct error *err)
{
    const char *id = str(in, "SecretId");
    json_t *doc = NULL;
    int r = store_secret_find(ctx->tx, ctx->region, id, &doc, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_NOT_FOUND, "Secrets Manager can't find the specified secret.");
    if (!deleted_ok && json_object_get(doc, "DeletedDate")) {
        json_decref(doc);
        return error_set(err, SECRETS_ERR_INVALID_REQUEST,
                         "You can't perform this operation on the secret because it was marked for deletion.");
    }
    *ret_doc = doc;
    return 1;
}

json_t *secrets_versions(struct op_ctx *ctx, json_t *secret, struct error *err)
{
    json_t *list = json_array();
    if (!list) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    if (store_secret_versions(ctx->tx, str(secret, "ARN"), list, err) < 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

int secrets_save(struct op_ctx *ctx, json_t *secret, struct error *err)
{
    json_t *deleted = json_object_get(secret, "PurgeAt");
    return store_secret_put(ctx->tx, ctx->region, str(secret, "Name"), str(secret, "ARN"),
                            deleted ? (usec_t)json_integer_value(deleted) : 0, secret, err);
}

json_t *secrets_version_stages(json_t *versions)
{
    json_t *map = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v) {
        json_t *stages = json_object_get(v, "VersionStages");
        if (json_array_size(stages) > 0)
            json_object_set(map, str(v, "VersionId"), stages);
    }
    return map;
}

/* ---- versions ---- */

static bool has_stage(json_t *stages, const char *stage)
{
    size_t i;
    json_t *s;
    json_array_foreach(stages, i, s) {
        if (strcmp(json_string_value(s), stage) == 0)
            return true;
    }
    return false;
}

static void drop_stage(json_t *stages, const char *stage)
{
    size_t i;
    json_t *s;
    json_array_foreach(stages, i, s) {
        if (strcmp(json_string_value(s), stage) == 0) {
            json_array_remove(stages, i);
            return;
        }
    }
}

/* The request's value: its member name and text; -1 if it has both or
 * (unless optional) neither. */
static int request_value(json_t *in, bool optional, const char **ret_member, struct error *err)
{
    bool s = json_object_get(in, "SecretString") != NULL, b = json_object_get(in, "SecretBinary") != NULL;
    if (s && b)
        return error_set(err, ERR_INVALID,
                         "You can't specify both a binary secret value and a string secret value in the same secret.");
    if (!s && !b && !optional)
        return error_set(err, ERR_INVALID, "You must provide either SecretString or SecretBinary.");
    *ret_member = s ? "SecretString" : b ? "SecretBinary" : NULL;
    return 0;
}

/* Whether version v holds exactly the request's value: 1, 0, -1. */
static int same_value(struct op_ctx *ctx, json_t *v, const char *member, const char *value, struct error *err)
{
    const struct secrets_service *svc = ctx->service;
    if (json_is_true(json_object_get(v, "Binary")) != (strcmp(member, "SecretBinary") == 0))
        return 0;
    _cleanup_buf_ struct buf plain;
    buf_init(&plain, 1u << 20);
    if (secret_text_open(svc->box, str(v, "Sealed"), &plain, err) < 0)
        return -1;
    int same = plain.len == strlen(value) && (plain.len == 0 || memcmp(plain.data, value, plain.len) == 0);
    if (plain.data)
        OPENSSL_cleanse(plain.data, plain.len);
    return same;
}

/* Move `stages` to the new version: other versions lose them; the one that
 * loses AWSCURRENT gains AWSPREVIOUS.  Saves every version, or drops it
 * (see below). */
static int move_stages(struct op_ctx *ctx, const char *arn, json_t *versions, json_t *stages, struct error *err)
{
    json_t *previous = NULL;
    size_t i, j;
    json_t *v, *s;
    json_array_foreach(versions, i, v) {
        json_t *have = json_object_get(v, "VersionStages");
        json_array_foreach(stages, j, s) {
            if (!has_stage(have, json_string_value(s)))
                continue;
            if (strcmp(json_string_value(s), "AWSCURRENT") == 0)
                previous = v;
            drop_stage(have, json_string_value(s));
        }
    }
    if (previous) {
        json_array_foreach(versions, i, v)
            drop_stage(json_object_get(v, "VersionStages"), "AWSPREVIOUS");
        json_array_append_new(json_object_get(previous, "VersionStages"), json_string("AWSPREVIOUS"));
    }
    /* Versions left without a label go, oldest first, once the secret
     * has more than SECRETS_VERSIONS_MAX (the new one counted). */
    size_t count = json_array_size(versions) + 1;
    json_array_foreach(versions, i, v) {
        const char *id = str(v, "VersionId");
        bool drop = count > SECRETS_VERSIONS_MAX && json_array_size(json_object_get(v, "VersionStages")) == 0;
        if (drop)
            count--;
        if (drop ? store_secret_version_delete(ctx->tx, arn, id, err) < 0
                 : store_secret_version_put(ctx->tx, arn, id,
                                            (usec_t)json_integer_value(json_object_get(v, "CreatedDate")), v, err) < 0)
            return -1;
    }
    return 0;
}

/* Add the request's value as a new version with `stages` (NULL:
 * AWSCURRENT): its id into ret_id.  The same token with the same value
 * again is the same version (idempotency); with another value, an error. */
static int add_version(struct op_ctx *ctx, json_t *secret, json_t *in, json_t *stages, char ret_id[65],
                       struct error *err)
{
    const struct secrets_service *svc = ctx->service;
    const char *member = NULL;
    if (request_value(in, false, &member, err) < 0)
        return -1;
    const char *value = str(in, member), *arn = str(secret, "ARN");
    char id[65];
    if (str(in, "ClientRequestToken"))
        snprintf(id, sizeof(id), "%s", str(in, "ClientRequestToken"));
    else if (ids_uuid(id) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness for a version id");
    _cleanup_json_ json_t *existing = NULL;
    int r = store_secret_version_get(ctx->tx, arn, id, &existing, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        r = same_value(ctx, existing, member, value, err);
        if (r < 0)
            return -1;
        if (r == 0)
            return error_set(err, SECRETS_ERR_EXISTS, "A resource with the ID you requested already exists.");
        snprintf(ret_id, 65, "%s", id);
        return 0;
    }
    _cleanup_free_ char *sealed = NULL;
    if (secret_text_seal(svc->box, value, strlen(value), &sealed, err) < 0)
        return -1;
    _cleanup_json_ json_t *want = stages ? json_deep_copy(stages) : json_pack("[s]", "AWSCURRENT");
    _cleanup_json_ json_t *versions = secrets_versions(ctx, secret, err);
    if (!versions || !want || move_stages(ctx, arn, versions, want, err) < 0)
        return versions && !want ? error_set(err, ERR_INTERNAL, "out of memory") : -1;
    _cleanup_json_ json_t *doc =
        json_pack("{s:s, s:O, s:s, s:b, s:I}", "VersionId", id, "VersionStages", want, "Sealed", sealed, "Binary",
                  strcmp(member, "SecretBinary") == 0, "CreatedDate", (json_int_t)ctx->now);
    if (!doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_secret_version_put(ctx->tx, arn, id, ctx->now, doc, err) < 0)
        return -1;
    json_object_set_new(secret, "LastChangedDate", json_integer(ctx->now));
    snprintf(ret_id, 65, "%s", id);
    return secrets_save(ctx, secret, err);
}

/* ---- CreateSecret ---- */

/* A new ARN: the name and "-" and 6 random letters and digits. */
static int new_arn(struct op_ctx *ctx, const char *name, char *out, size_t cap, struct error *err)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char raw[6];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return error_set(err, ERR_INTERNAL, "no randomness for an ARN");
    char suffix[7];
    for (size_t i = 0; i < 6; i++)
        suffix[i] = alphabet[raw[i] % (sizeof(alphabet) - 1)];
    suffix[6] = '\0';
    snprintf(out, cap, "arn:aws:secretsmanager:%s:%s:secret:%s-%s", ctx->region, ctx->account, name, suffix);
    return 0;
}

static int check_name(const char *name, struct error *err)
{
    for (const char *p = name; *p; p++)
        if (!(((*p | 32) >= 'a' && (*p | 32) <= 'z') || (*p >= '0' && *p <= '9') || strchr("/_+=.@-", *p)))
            return error_set(err, ERR_INVALID,
                             "Invalid name. Must be a valid name containing alphanumeric characters, or any of the "
                             "following: -/_+=.@!");
    return 0;
}

/* An existing secret of that name: idempotent when the token and value
 * match a version of it, else ResourceExists (or marked for deletion). */
static int create_again(struct op_ctx *ctx, json_t *secret, json_t *in, json_t *out, struct error *err)
{
    if (json_object_get(secret, "DeletedDate"))
        return error_set(err, SECRETS_ERR_INVALID_REQUEST,
                         "You can't create this secret because a secret with this name is already scheduled for "
                         "deletion.");
    const char *token = str(in, "ClientRequestToken"), *member = NULL;
    _cleanup_json_ json_t *v = NULL;
    int r = token && request_value(in, false, &member, NULL) == 0
                ? store_secret_version_get(ctx->tx, str(secret, "ARN"), token, &v, err)
                : 0;
    if (r > 0)
        r = same_value(ctx, v, member, str(in, member), err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, SECRETS_ERR_EXISTS, "The operation failed because the secret %.512s already exists.",
                         str(secret, "Name"));
    json_object_set(out, "ARN", json_object_get(secret, "ARN"));
    json_object_set(out, "Name", json_object_get(secret, "Name"));
    json_object_set_new(out, "VersionId", json_string(token));
    return 0;
}

/* Managed external secrets (Type names the partner that holds one):
 * berth has no partners to hold them, so it refuses rather than keep an
 * ordinary secret under the name. */
static int refuse_type(json_t *in, struct error *err)
{
    if (json_object_get(in, "Type"))
        return error_set(err, SECRETS_ERR_INVALID_REQUEST,
                         "berth does not support managed external secrets (Type %.64s).", str(in, "Type"));
    return 0;
}

API_ACTION(secrets_create_secret)
{
    const char *name = str(in, "Name"), *member = NULL;
    if (json_array_size(json_object_get(in, "AddReplicaRegions")) > 0)
        return error_set(err, SECRETS_ERR_INVALID_REQUEST, "berth does not replicate secrets to other regions.");
    if (refuse_type(in, err) < 0)
        return -1;
    if (check_name(name, err) < 0 || request_value(in, true, &member, err) < 0 ||
        tags_check_keyed(json_object_get(in, "Tags"), err) < 0)
        return -1;
    _cleanup_json_ json_t *existing = NULL;
    int r = store_secret_find(ctx->tx, ctx->region, name, &existing, err);
    if (r < 0)
        return -1;
    if (r > 0 && strcmp(str(existing, "Name"), name) == 0)
        return create_again(ctx, existing, in, out, err);
    char arn[SECRETS_ARN_MAX];
    if (new_arn(ctx, name, arn, sizeof(arn), err) < 0)
        return -1;
    _cleanup_json_ json_t *secret = json_pack("{s:s, s:s, s:I, s:I}", "Name", name, "ARN", arn, "CreatedDate",
                                              (json_int_t)ctx->now, "LastChangedDate", (json_int_t)ctx->now);
    if (!secret)
        return error_set(err, ERR_INTERNAL, "out of memory");
    static const char *const kept[] = {"Description", "KmsKeyId"};
    for (size_t i = 0; i < ELEMENTSOF(kept); i++)
        if (json_object_get(in, kept[i]))
            json_object_set(secret, kept[i], json_object_get(in, kept[i]));
    if (secrets_save(ctx, secret, err) < 0)
        return -1;
    _cleanup_json_ json_t *tags = tags_from_keyed(json_object_get(in, "Tags"));
    if (!tags || tags_attach(ctx, arn, tags, err) < 0)
        return tags ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    json_object_set_new(out, "ARN", json_string(arn));
    json_object_set_new(out, "Name", json_string(name));
    if (!member)
        return 0;
    char id[65];
    if (add_version(ctx, secret, in, NULL, id, err) < 0)
        return -1;
    json_object_set_new(out, "VersionId", json_string(id));
    return 0;
}

/* ---- GetSecretValue ---- */

/* The version VersionId and/or VersionStage (default AWSCURRENT) name. */
static json_t *pick_version(json_t *versions, json_t *in, struct error *err)
{
    const char *id = str(in, "VersionId"), *stage = str(in, "VersionStage");
    if (!id && !stage)
        stage = "AWSCURRENT";
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v) {
        if ((!id || strcmp(str(v, "VersionId"), id) == 0) &&
            (!stage || has_stage(json_object_get(v, "VersionStages"), stage)))
            return v;
    }
    if (id && stage)
        error_set(err, ERR_NOT_FOUND,
                  "Secrets Manager can't find the specified secret value for VersionId: %.64s and staging label: "
                  "%.256s",
                  id, stage);
    else if (id)
        error_set(err, ERR_NOT_FOUND, "Secrets Manager can't find the specified secret value for VersionId: %.64s", id);
    else
        error_set(err, ERR_NOT_FOUND, "Secrets Manager can't find the specified secret value for staging label: %.256s",
                  stage);
    return NULL;
}

API_ACTION(secrets_get_secret_value)
{
    const struct secrets_service *svc = ctx->service;
    _cleanup_json_ json_t *secret = NULL;
    if (secrets_find(ctx, in, false, &secret, err) < 0)
        return -1;
    _cleanup_json_ json_t *versions = secrets_versions(ctx, secret, err);
    json_t *v = versions ? pick_version(versions, in, err) : NULL;
    if (!v)
        return -1;
    _cleanup_buf_ struct buf plain;
    buf_init(&plain, 1u << 20);
    if (secret_text_open(svc->box, str(v, "Sealed"), &plain, err) < 0)
        return -1;
    json_t *value = json_stringn(plain.data ? plain.data : "", plain.len);
    if (plain.data)
        OPENSSL_cleanse(plain.data, plain.len);
    if (!value)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_set_new(out, json_is_true(json_object_get(v, "Binary")) ? "SecretBinary" : "SecretString", value);
    json_object_set(out, "ARN", json_object_get(secret, "ARN"));
    json_object_set(out, "Name", json_object_get(secret, "Name"));
    json_object_set(out, "VersionId", json_object_get(v, "VersionId"));
    json_object_set(out, "VersionStages", json_object_get(v, "VersionStages"));
    json_object_set_new(
        out, "CreatedDate",
        json_real(time_to_epoch_seconds((usec_t)json_integer_value(json_object_get(v, "CreatedDate")))));
    return 0;
}

/* ---- PutSecretValue, UpdateSecret ---- */

API_ACTION(secrets_put_secret_value)
{
    _cleanup_json_ json_t *secret = NULL;
    /* It vouches for a rotation function's assumed role: berth runs no
     * rotation, so there is nothing to check it against. */
    if (json_object_get(in, "RotationToken"))
        return error_set(err, SECRETS_ERR_INVALID_REQUEST,
                         "berth does not rotate secrets: RotationToken is not supported.");
    if (secrets_find(ctx, in, false, &secret, err) < 0)
        return -1;
    char id[65];
    if (add_version(ctx, secret, in, json_object_get(in, "VersionStages"), id, err) < 0)
        return -1;
    _cleanup_json_ json_t *v = NULL;
    if (store_secret_version_get(ctx->tx, str(secret, "ARN"), id, &v, err) <= 0)
        return error_set(err, ERR_INTERNAL, "version %s vanished", id);
    json_object_set(out, "ARN", json_object_get(secret, "ARN"));
    json_object_set(out, "Name", json_object_get(secret, "Name"));
    json_object_set_new(out, "VersionId", json_string(id));
    json_object_set(out, "VersionStages", json_object_get(v, "VersionStages"));
    return 0;
}

API_ACTION(secrets_update_secret)
{
    _cleanup_json_ json_t *secret = NULL;
    const char *member = NULL;
    if (refuse_type(in, err) < 0 || request_value(in, true, &member, err) < 0 ||
        secrets_find(ctx, in, false, &secret, err) < 0)
        return -1;
    static const char *const kept[] = {"Description", "KmsKeyId"};
    for (size_t i = 0; i < ELEMENTSOF(kept); i++)
        if (json_object_get(in, kept[i]))
            json_object_set(secret, kept[i], json_object_get(in, kept[i]));
    json_object_set_new(secret, "LastChangedDate", json_integer(ctx->now));
    if (secrets_save(ctx, secret, err) < 0)
        return -1;
    json_object_set(out, "ARN", json_object_get(secret, "ARN"));
    json_object_set(out, "Name", json_object_get(secret, "Name"));
    if (!member)
        return 0;
    char id[65];
    if (add_version(ctx, secret, in, NULL, id, err) < 0)
        return -1;
    json_object_set_new(out, "VersionId", json_string(id));
    return 0;
}
