/* iam_entities.c - IAM users, roles and groups: create, get, list,
 * delete (refused while anything still hangs off them, as IAM refuses
 * it), a role's trust policy, and group members.  The three kinds differ
 * in a few members only, so one set of functions serves them. */
#include "server/iam/iam_actions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/iam/iam_common.h"
#include "server/iam/keyring.h"
#include "server/iam/trust_policy.h"
#include "server/store/store_keys.h"

#define ROLE_SESSION_DEFAULT 3600
#define ROLE_SESSION_MIN 3600
#define ROLE_SESSION_MAX 43200

/* Members berth does not keep yet: refused, never silently dropped. */
static int refuse_unsupported(json_t *in, struct error *err)
{
    static const char *const unsupported[] = {"Tags", "PermissionsBoundary"};
    for (size_t i = 0; i < ELEMENTSOF(unsupported); i++)
        if (json_object_get(in, unsupported[i]))
            return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth's IAM does not support %s yet.", unsupported[i]);
    return 0;
}

static const char *member_name(const struct iam_kind *k, char *buf, size_t cap)
{
    snprintf(buf, cap, "%sName", k->title);
    return buf;
}

/* A new identity of kind k from in's <Kind>Name and Path; the role's
 * members are the caller's to fill before it is stored. */
static int new_entity(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, struct iam_entity_row *row,
                      struct error *err)
{
    char key[16];
    const char *name = json_string_value(json_object_get(in, member_name(k, key, sizeof(key))));
    const char *path = json_string_value(json_object_get(in, "Path"));
    if (!path)
        path = "/";
    char member[16]; /* IAM's messages spell members in camel case: userName */
    snprintf(member, sizeof(member), "%c%s", key[0] + 'a' - 'A', key + 1);
    if (refuse_unsupported(in, err) < 0 || iam_check_name(member, name, err) < 0 ||
        iam_check_path("path", path, err) < 0)
        return -1;
    struct iam_entity_row existing = {0};
    int r = store_iam_entity_get(ctx->tx, k->kind, name, &existing, err);
    iam_entity_row_clear(&existing);
    if (r < 0)
        return -1;
    if (r > 0)
        return error_set(err, ERR_CONFLICT, "%s with name %s already exists.", k->title, name);
    memset(row, 0, sizeof(*row));
    snprintf(row->kind, sizeof(row->kind), "%s", k->kind);
    snprintf(row->name, sizeof(row->name), "%s", name);
    snprintf(row->path, sizeof(row->path), "%s", path);
    iam_arn(ctx, k->kind, path, name, row->arn, sizeof(row->arn));
    row->created_at = ctx->now;
    return iam_new_id(k->id_prefix, row->id, err);
}

static int create_entity(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, json_t *out, struct error *err)
{
    struct iam_entity_row row = {0};
    if (new_entity(ctx, k, in, &row, err) < 0)
        return -1;
    int rc = store_iam_entity_insert(ctx->tx, &row, err);
    if (rc == 0)
        json_object_set_new(out, k->title, iam_entity_json(k, &row));
    iam_entity_row_clear(&row);
    return rc;
}

API_ACTION(iam_create_user) { return create_entity(ctx, &IAM_USER, in, out, err); }
API_ACTION(iam_create_group) { return create_entity(ctx, &IAM_GROUP, in, out, err); }

API_ACTION(iam_create_role)
{
    const char *trust = json_string_value(json_object_get(in, "AssumeRolePolicyDocument"));
    json_t *max = json_object_get(in, "MaxSessionDuration");
    json_int_t seconds = max ? json_integer_value(max) : ROLE_SESSION_DEFAULT;
    if (seconds < ROLE_SESSION_MIN || seconds > ROLE_SESSION_MAX)
        return error_set(err, ERR_INVALID,
                         "1 validation error detected: Value '%lld' at 'maxSessionDuration' failed to satisfy "
                         "constraint: Member must have value between 3600 and 43200",
                         (long long)seconds);
    if (trust_policy_check(trust, err) < 0) {
        err->kind = IAM_ERR_MALFORMED_POLICY;
        return -1;
    }
    struct iam_entity_row row = {0};
    if (new_entity(ctx, &IAM_ROLE, in, &row, err) < 0)
        return -1;
    const char *description = json_string_value(json_object_get(in, "Description"));
    row.description = description ? strdup(description) : NULL;
    row.trust_policy = strdup(trust);
    row.max_session = seconds;
    int rc = row.trust_policy ? store_iam_entity_insert(ctx->tx, &row, err) : error_set(err, ERR_INTERNAL, "oom");
    if (rc == 0)
        json_object_set_new(out, "Role", iam_entity_json(&IAM_ROLE, &row));
    iam_entity_row_clear(&row);
    return rc;
}

/* GetUser without a name: the caller, when the caller is a user or root. */
static int get_calling_user(struct op_ctx *ctx, json_t *out, struct error *err)
{
    char root[128];
    snprintf(root, sizeof(root), "arn:aws:iam::%s:root", ctx->account);
    if (strcmp(ctx->caller, root) == 0) {
        json_object_set_new(out, "User",
                            json_pack("{s:s, s:s, s:s, s:o}", "Path", "/", "UserId", ctx->account, "Arn", root,
                                      "CreateDate", iam_time(0)));
        return 0;
    }
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "arn:aws:iam::%s:user/", ctx->account);
    if (strncmp(ctx->caller, prefix, strlen(prefix)) != 0)
        return error_set(err, ERR_INVALID, "Must specify userName when calling with non-User credentials");
    const char *name = strrchr(ctx->caller, '/') + 1;
    struct iam_entity_row row = {0};
    if (iam_entity_must_get(ctx, &IAM_USER, name, &row, err) < 0)
        return -1;
    json_object_set_new(out, "User", iam_entity_json(&IAM_USER, &row));
    iam_entity_row_clear(&row);
    return 0;
}

static int get_entity(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, json_t *out, struct error *err)
{
    char key[16];
    const char *name = json_string_value(json_object_get(in, member_name(k, key, sizeof(key))));
    if (!name && k == &IAM_USER)
        return get_calling_user(ctx, out, err);
    struct iam_entity_row row = {0};
    if (iam_entity_must_get(ctx, k, name, &row, err) < 0)
        return -1;
    json_object_set_new(out, k->title, iam_entity_json(k, &row));
    iam_entity_row_clear(&row);
    return 0;
}

API_ACTION(iam_get_user) { return get_entity(ctx, &IAM_USER, in, out, err); }
API_ACTION(iam_get_role) { return get_entity(ctx, &IAM_ROLE, in, out, err); }

static int list_entities(struct op_ctx *ctx, const struct iam_kind *k, const char *list_key, json_t *in, json_t *out,
                         struct error *err)
{
    struct page page;
    if (iam_page_begin(in, ctx->action, &page, err) < 0)
        return -1;
    struct iam_entity_row *rows = NULL;
    size_t n = 0;
    bool more = false;
    int rc = store_iam_entity_list(ctx->tx, k->kind, json_string_value(json_object_get(in, "PathPrefix")), page.after,
                                   page.limit, &rows, &n, &more, err);
    page_free(&page);
    if (rc < 0)
        return -1;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, iam_entity_json(k, &rows[i]));
    json_object_set_new(out, list_key, list);
    iam_page_end(out, ctx->action, more, n ? rows[n - 1].name : NULL);
    iam_entity_rows_free(rows, n);
    return 0;
}

API_ACTION(iam_list_users) { return list_entities(ctx, &IAM_USER, "Users", in, out, err); }
API_ACTION(iam_list_roles) { return list_entities(ctx, &IAM_ROLE, "Roles", in, out, err); }
API_ACTION(iam_list_groups) { return list_entities(ctx, &IAM_GROUP, "Groups", in, out, err); }

/* What must go before an identity can: IAM's DeleteConflict otherwise. */
static int check_deletable(struct op_ctx *ctx, const struct iam_kind *k, const struct iam_entity_row *row,
                           struct error *err)
{
    _cleanup_json_ json_t *found = json_array();
    if (k == &IAM_USER) {
        struct access_key_row *keys = NULL;
        size_t n = 0, long_term = 0;
        if (store_keys_list_by_principal(ctx->tx, row->arn, &keys, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            long_term += keys[i].session_token_sha256[0] == '\0';
        free(keys);
        if (long_term > 0)
            return error_set(err, IAM_ERR_DELETE_CONFLICT, "Cannot delete entity, must delete access keys first.");
    }
    if (store_iam_inline_names(ctx->tx, k->kind, row->name, NULL, 1, found, NULL, err) < 0)
        return -1;
    if (json_array_size(found) > 0)
        return error_set(err, IAM_ERR_DELETE_CONFLICT, "Cannot delete entity, must delete policies first.");
    if (store_iam_attached(ctx->tx, k->kind, row->name, NULL, 1, found, NULL, err) < 0)
        return -1;
    if (json_array_size(found) > 0)
        return error_set(err, IAM_ERR_DELETE_CONFLICT, "Cannot delete entity, must detach all policies first.");
    if (k == &IAM_USER && store_iam_user_groups(ctx->tx, row->name, found, err) < 0)
        return -1;
    if (k == &IAM_GROUP && store_iam_group_users(ctx->tx, row->name, found, err) < 0)
        return -1;
    if (json_array_size(found) > 0)
        return error_set(err, IAM_ERR_DELETE_CONFLICT, "Cannot delete entity, must remove %s first.",
                         k == &IAM_USER ? "the user from all groups" : "users from group");
    return 0;
}

/* A deleted user's temporary keys (GetSessionToken) go with it. */
static int forget_session_keys(struct op_ctx *ctx, const char *arn, struct error *err)
{
    struct iam_service *svc = ctx->service;
    struct access_key_row *keys = NULL;
    size_t n = 0;
    int rc = store_keys_list_by_principal(ctx->tx, arn, &keys, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = keyring_delete(svc->keyring, ctx->tx, keys[i].access_key_id, err);
    free(keys);
    return rc;
}

static int delete_entity(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, struct error *err)
{
    char key[16];
    const char *name = json_string_value(json_object_get(in, member_name(k, key, sizeof(key))));
    struct iam_entity_row row = {0};
    if (iam_entity_must_get(ctx, k, name, &row, err) < 0)
        return -1;
    int rc = check_deletable(ctx, k, &row, err);
    if (rc == 0 && k == &IAM_USER)
        rc = forget_session_keys(ctx, row.arn, err);
    if (rc == 0)
        rc = store_iam_entity_delete(ctx->tx, k->kind, row.name, err);
    iam_entity_row_clear(&row);
    return rc;
}

API_ACTION(iam_delete_user) { return delete_entity(ctx, &IAM_USER, in, err); }
API_ACTION(iam_delete_role) { return delete_entity(ctx, &IAM_ROLE, in, err); }
API_ACTION(iam_delete_group) { return delete_entity(ctx, &IAM_GROUP, in, err); }

API_ACTION(iam_update_assume_role_policy)
{
    const char *name = json_string_value(json_object_get(in, "RoleName"));
    const char *doc = json_string_value(json_object_get(in, "PolicyDocument"));
    if (trust_policy_check(doc, err) < 0) {
        err->kind = IAM_ERR_MALFORMED_POLICY;
        return -1;
    }
    struct iam_entity_row row = {0};
    if (iam_entity_must_get(ctx, &IAM_ROLE, name, &row, err) < 0)
        return -1;
    int rc = store_iam_role_set_trust(ctx->tx, row.name, doc, err);
    iam_entity_row_clear(&row);
    return rc;
}

static int update_role(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "RoleName"));
    json_t *max = json_object_get(in, "MaxSessionDuration");
    json_int_t seconds = max ? json_integer_value(max) : 0;
    if (max && (seconds < ROLE_SESSION_MIN || seconds > ROLE_SESSION_MAX))
        return error_set(err, ERR_INVALID,
                         "1 validation error detected: Value '%lld' at 'maxSessionDuration' failed to satisfy "
                         "constraint: Member must have value between 3600 and 43200",
                         (long long)seconds);
    struct iam_entity_row row = {0};
    if (iam_entity_must_get(ctx, &IAM_ROLE, name, &row, err) < 0)
        return -1;
    int rc =
        store_iam_role_update(ctx->tx, row.name, json_string_value(json_object_get(in, "Description")), seconds, err);
    iam_entity_row_clear(&row);
    if (rc == 0 && out && iam_entity_must_get(ctx, &IAM_ROLE, name, &row, err) == 0) {
        json_object_set_new(out, "Role", iam_entity_json(&IAM_ROLE, &row));
        iam_entity_row_clear(&row);
    }
    return rc;
}

API_ACTION(iam_update_role) { return update_role(ctx, in, NULL, err); }
API_ACTION(iam_update_role_description) { return update_role(ctx, in, out, err); }

/* The group and user a membership call names, both existing. */
static int member_pair(struct op_ctx *ctx, json_t *in, struct iam_entity_row *group, struct iam_entity_row *user,
                       struct error *err)
{
    if (iam_entity_must_get(ctx, &IAM_GROUP, json_string_value(json_object_get(in, "GroupName")), group, err) < 0)
        return -1;
    if (iam_entity_must_get(ctx, &IAM_USER, json_string_value(json_object_get(in, "UserName")), user, err) < 0) {
        iam_entity_row_clear(group);
        return -1;
    }
    return 0;
}

API_ACTION(iam_add_user_to_group)
{
    struct iam_entity_row group = {0}, user = {0};
    if (member_pair(ctx, in, &group, &user, err) < 0)
        return -1;
    int rc = store_iam_member_add(ctx->tx, group.name, user.name, err);
    iam_entity_row_clear(&group);
    iam_entity_row_clear(&user);
    return rc < 0 ? -1 : 0;
}

API_ACTION(iam_remove_user_from_group)
{
    struct iam_entity_row group = {0}, user = {0};
    if (member_pair(ctx, in, &group, &user, err) < 0)
        return -1;
    int rc = store_iam_member_remove(ctx->tx, group.name, user.name, err);
    if (rc < 0 && err->kind == ERR_NOT_FOUND)
        error_set(err, ERR_NOT_FOUND, "The user with name %s cannot be found in group %s.", user.name, group.name);
    iam_entity_row_clear(&group);
    iam_entity_row_clear(&user);
    return rc;
}

/* Each name of list, looked up as kind k, into out[key] as its shape. */
static int entities_of(struct op_ctx *ctx, const struct iam_kind *k, json_t *names, json_t *out, const char *key,
                       struct error *err)
{
    json_t *list = json_array();
    json_object_set_new(out, key, list);
    size_t i;
    json_t *name;
    json_array_foreach(names, i, name) {
        struct iam_entity_row row = {0};
        if (iam_entity_must_get(ctx, k, json_string_value(name), &row, err) < 0)
            return -1;
        json_array_append_new(list, iam_entity_json(k, &row));
        iam_entity_row_clear(&row);
    }
    json_object_set_new(out, "IsTruncated", json_false());
    return 0;
}

API_ACTION(iam_get_group)
{
    struct iam_entity_row group = {0};
    if (iam_entity_must_get(ctx, &IAM_GROUP, json_string_value(json_object_get(in, "GroupName")), &group, err) < 0)
        return -1;
    json_object_set_new(out, "Group", iam_entity_json(&IAM_GROUP, &group));
    _cleanup_json_ json_t *names = json_array();
    int rc = store_iam_group_users(ctx->tx, group.name, names, err);
    iam_entity_row_clear(&group);
    return rc < 0 ? -1 : entities_of(ctx, &IAM_USER, names, out, "Users", err);
}

API_ACTION(iam_list_groups_for_user)
{
    struct iam_entity_row user = {0};
    if (iam_entity_must_get(ctx, &IAM_USER, json_string_value(json_object_get(in, "UserName")), &user, err) < 0)
        return -1;
    _cleanup_json_ json_t *names = json_array();
    int rc = store_iam_user_groups(ctx->tx, user.name, names, err);
    iam_entity_row_clear(&user);
    return rc < 0 ? -1 : entities_of(ctx, &IAM_GROUP, names, out, "Groups", err);
}
