/* iam_managed.c - customer managed policies: create, get, list, delete,
 * their versions (at most 5, one the default), and attaching them to
 * users, roles and groups (at most 10 each).  AWS managed policies
 * (arn:aws:iam::aws:policy/...) do not exist in berth. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/iam/iam_actions.h"
#include "server/iam/iam_common.h"

#define MAX_VERSIONS 5
#define MAX_ATTACHED 10

static json_t *policy_json(struct op_ctx *ctx, const struct iam_policy_row *p, struct error *err)
{
    int64_t attached = 0;
    if (store_iam_attachment_count(ctx->tx, p->arn, &attached, err) < 0)
        return NULL;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:b, s:o, s:o}", "PolicyName", p->name, "PolicyId",
                          p->id, "Arn", p->arn, "Path", p->path, "DefaultVersionId", p->default_version,
                          "AttachmentCount", (json_int_t)attached, "PermissionsBoundaryUsageCount", 0, "IsAttachable",
                          1, "CreateDate", iam_time(p->created_at), "UpdateDate", iam_time(p->updated_at));
    if (o && *p->description)
        json_object_set_new(o, "Description", json_string(p->description));
    return o ? o : (error_set(err, ERR_INTERNAL, "out of memory"), NULL);
}

static int policy_must_get(struct op_ctx *ctx, const char *arn, struct iam_policy_row *ret, struct error *err)
{
    int r = store_iam_policy_get(ctx->tx, arn, ret, err);
    if (r == 0)
        return error_set(err, ERR_NOT_FOUND, "Policy %.200s does not exist or is not attachable.", arn);
    return r < 0 ? -1 : 0;
}

API_ACTION(iam_create_policy)
{
    const char *name = json_string_value(json_object_get(in, "PolicyName"));
    const char *doc = json_string_value(json_object_get(in, "PolicyDocument"));
    const char *path = json_string_value(json_object_get(in, "Path")) ?: "/";
    const char *description = json_string_value(json_object_get(in, "Description")) ?: "";
    if (json_object_get(in, "Tags"))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth's IAM does not support Tags yet.");
    if (iam_check_name("policyName", name, err) < 0 || iam_check_path("path", path, err) < 0 ||
        iam_check_policy_document(doc, err) < 0)
        return -1;
    int taken = store_iam_policy_name_taken(ctx->tx, name, err);
    if (taken < 0)
        return -1;
    if (taken)
        return error_set(err, ERR_CONFLICT, "A policy called %s already exists. Duplicate names are not allowed.",
                         name);
    struct iam_policy_row p = {.next_version = 2, .created_at = ctx->now, .updated_at = ctx->now};
    iam_arn(ctx, "policy", path, name, p.arn, sizeof(p.arn));
    snprintf(p.name, sizeof(p.name), "%s", name);
    snprintf(p.path, sizeof(p.path), "%s", path);
    snprintf(p.description, sizeof(p.description), "%s", description);
    snprintf(p.default_version, sizeof(p.default_version), "v1");
    if (iam_new_id("ANPA", p.id, err) < 0 || store_iam_policy_insert(ctx->tx, &p, err) < 0 ||
        store_iam_version_insert(ctx->tx, p.arn, "v1", doc, ctx->now, err) < 0)
        return -1;
    json_t *o = policy_json(ctx, &p, err);
    return o ? json_object_set_new(out, "Policy", o), 0 : -1;
}

API_ACTION(iam_get_policy)
{
    struct iam_policy_row p;
    if (policy_must_get(ctx, json_string_value(json_object_get(in, "PolicyArn")), &p, err) < 0)
        return -1;
    json_t *o = policy_json(ctx, &p, err);
    return o ? json_object_set_new(out, "Policy", o), 0 : -1;
}

API_ACTION(iam_delete_policy)
{
    struct iam_policy_row p;
    if (policy_must_get(ctx, json_string_value(json_object_get(in, "PolicyArn")), &p, err) < 0)
        return -1;
    int64_t attached = 0;
    _cleanup_json_ json_t *versions = json_array();
    if (store_iam_attachment_count(ctx->tx, p.arn, &attached, err) < 0 ||
        store_iam_versions(ctx->tx, p.arn, versions, err) < 0)
        return -1;
    if (attached > 0)
        return error_set(err, IAM_ERR_DELETE_CONFLICT, "Cannot delete a policy attached to entities.");
    if (json_array_size(versions) > 1)
        return error_set(err, IAM_ERR_DELETE_CONFLICT,
                         "This policy has more than one version. Before you delete a policy, you must delete the "
                         "policy's versions. The default version is deleted with the policy.");
    return store_iam_policy_delete(ctx->tx, p.arn, err);
}

API_ACTION(iam_list_policies)
{
    const char *scope = json_string_value(json_object_get(in, "Scope")) ?: "All";
    if (json_object_get(in, "PolicyUsageFilter"))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth's IAM does not support PolicyUsageFilter yet.");
    struct page page;
    if (iam_page_begin(in, ctx->action, &page, err) < 0)
        return -1;
    struct iam_policy_row *rows = NULL;
    size_t n = 0;
    bool more = false;
    /* berth has no AWS managed policies: Scope AWS lists none. */
    int rc = strcmp(scope, "AWS") == 0
                 ? 0
                 : store_iam_policy_list(ctx->tx, json_string_value(json_object_get(in, "PathPrefix")),
                                         json_is_true(json_object_get(in, "OnlyAttached")), page.after, page.limit,
                                         &rows, &n, &more, err);
    page_free(&page);
    json_t *list = json_array();
    json_object_set_new(out, "Policies", list);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *o = policy_json(ctx, &rows[i], err);
        rc = o ? json_array_append_new(list, o) : -1;
    }
    if (rc == 0)
        iam_page_end(out, ctx->action, more, n ? rows[n - 1].name : NULL);
    free(rows);
    return rc;
}

static json_t *version_json(const char *id, bool is_default, int64_t created, const char *doc)
{
    json_t *o =
        json_pack("{s:s, s:b, s:o}", "VersionId", id, "IsDefaultVersion", is_default, "CreateDate", iam_time(created));
    if (o && doc)
        json_object_set_new(o, "Document", iam_encoded_document(doc));
    return o;
}

API_ACTION(iam_create_policy_version)
{
    const char *doc = json_string_value(json_object_get(in, "PolicyDocument"));
    struct iam_policy_row p;
    if (iam_check_policy_document(doc, err) < 0 ||
        policy_must_get(ctx, json_string_value(json_object_get(in, "PolicyArn")), &p, err) < 0)
        return -1;
    _cleanup_json_ json_t *versions = json_array();
    if (store_iam_versions(ctx->tx, p.arn, versions, err) < 0)
        return -1;
    if (json_array_size(versions) >= MAX_VERSIONS)
        return error_set(err, ERR_LIMIT,
                         "A managed policy can have up to %d versions. Before you create a new "
                         "version, you must delete an existing version.",
                         MAX_VERSIONS);
    char id[16];
    snprintf(id, sizeof(id), "v%" PRId64, p.next_version);
    bool make_default = json_is_true(json_object_get(in, "SetAsDefault"));
    p.next_version++;
    p.updated_at = ctx->now;
    if (make_default)
        snprintf(p.default_version, sizeof(p.default_version), "%s", id);
    if (store_iam_version_insert(ctx->tx, p.arn, id, doc, ctx->now, err) < 0 ||
        store_iam_policy_update(ctx->tx, &p, err) < 0)
        return -1;
    json_object_set_new(out, "PolicyVersion", version_json(id, make_default, ctx->now, NULL));
    return 0;
}

/* The version in's VersionId names, with its document (malloc'd). */
static int version_must_get(struct op_ctx *ctx, json_t *in, struct iam_policy_row *p, char **ret_doc,
                            int64_t *ret_created, struct error *err)
{
    const char *id = json_string_value(json_object_get(in, "VersionId"));
    if (policy_must_get(ctx, json_string_value(json_object_get(in, "PolicyArn")), p, err) < 0)
        return -1;
    int r = store_iam_version_get(ctx->tx, p->arn, id, ret_doc, ret_created, err);
    if (r == 0)
        return error_set(err, ERR_NOT_FOUND, "Policy %.200s version %.20s does not exist or is not attachable.", p->arn,
                         id);
    return r < 0 ? -1 : 0;
}

API_ACTION(iam_get_policy_version)
{
    struct iam_policy_row p;
    _cleanup_free_ char *doc = NULL;
    int64_t created = 0;
    const char *id = json_string_value(json_object_get(in, "VersionId"));
    if (version_must_get(ctx, in, &p, &doc, &created, err) < 0)
        return -1;
    json_object_set_new(out, "PolicyVersion", version_json(id, strcmp(id, p.default_version) == 0, created, doc));
    return 0;
}

API_ACTION(iam_list_policy_versions)
{
    struct iam_policy_row p;
    if (policy_must_get(ctx, json_string_value(json_object_get(in, "PolicyArn")), &p, err) < 0)
        return -1;
    json_t *versions = json_array();
    json_object_set_new(out, "Versions", versions);
    if (store_iam_versions(ctx->tx, p.arn, versions, err) < 0)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v) {
        const char *id = json_string_value(json_object_get(v, "VersionId"));
        json_object_set_new(v, "IsDefaultVersion", json_boolean(strcmp(id, p.default_version) == 0));
        json_object_set_new(v, "CreateDate", iam_time(json_integer_value(json_object_get(v, "CreateDate"))));
    }
    json_object_set_new(out, "IsTruncated", json_false());
    return 0;
}

API_ACTION(iam_set_default_policy_version)
{
    struct iam_policy_row p;
    _cleanup_free_ char *doc = NULL;
    if (version_must_get(ctx, in, &p, &doc, NULL, err) < 0)
        return -1;
    snprintf(p.default_version, sizeof(p.default_version), "%s", json_string_value(json_object_get(in, "VersionId")));
    p.updated_at = ctx->now;
    return store_iam_policy_update(ctx->tx, &p, err);
}

API_ACTION(iam_delete_policy_version)
{
    struct iam_policy_row p;
    _cleanup_free_ char *doc = NULL;
    if (version_must_get(ctx, in, &p, &doc, NULL, err) < 0)
        return -1;
    const char *id = json_string_value(json_object_get(in, "VersionId"));
    if (strcmp(id, p.default_version) == 0)
        return error_set(err, IAM_ERR_DELETE_CONFLICT, "Cannot delete the default version of a policy.");
    return store_iam_version_delete(ctx->tx, p.arn, id, err);
}

/* The identity in's <Kind>Name names and the policy its PolicyArn names. */
static int attach_pair(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, struct iam_entity_row *row,
                       struct iam_policy_row *p, struct error *err)
{
    char key[16];
    snprintf(key, sizeof(key), "%sName", k->title);
    if (iam_entity_must_get(ctx, k, json_string_value(json_object_get(in, key)), row, err) < 0)
        return -1;
    if (policy_must_get(ctx, json_string_value(json_object_get(in, "PolicyArn")), p, err) < 0) {
        iam_entity_row_clear(row);
        return -1;
    }
    return 0;
}

static int attach(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, struct error *err)
{
    struct iam_entity_row row = {0};
    struct iam_policy_row p;
    if (attach_pair(ctx, k, in, &row, &p, err) < 0)
        return -1;
    _cleanup_json_ json_t *arns = json_array();
    int rc = store_iam_attached(ctx->tx, k->kind, row.name, NULL, -1, arns, NULL, err);
    if (rc == 0 && json_array_size(arns) >= MAX_ATTACHED)
        rc = error_set(err, ERR_LIMIT, "Cannot exceed quota for PoliciesPer%s: %d", k->title, MAX_ATTACHED);
    if (rc == 0)
        rc = store_iam_attach(ctx->tx, k->kind, row.name, p.arn, err) < 0 ? -1 : 0;
    iam_entity_row_clear(&row);
    return rc;
}

static int detach(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, struct error *err)
{
    struct iam_entity_row row = {0};
    struct iam_policy_row p;
    if (attach_pair(ctx, k, in, &row, &p, err) < 0)
        return -1;
    int rc = store_iam_detach(ctx->tx, k->kind, row.name, p.arn, err);
    if (rc < 0 && err->kind == ERR_NOT_FOUND)
        error_set(err, ERR_NOT_FOUND, "Policy %.200s was not found.", p.arn);
    iam_entity_row_clear(&row);
    return rc;
}

static int list_attached(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, json_t *out, struct error *err)
{
    char key[16];
    snprintf(key, sizeof(key), "%sName", k->title);
    struct iam_entity_row row = {0};
    if (iam_entity_must_get(ctx, k, json_string_value(json_object_get(in, key)), &row, err) < 0)
        return -1;
    /* PathPrefix filters the page read, so a page may come back short. */
    const char *prefix = json_string_value(json_object_get(in, "PathPrefix")) ?: "/";
    struct page page = {0};
    _cleanup_json_ json_t *arns = json_array();
    bool more = false;
    int rc = iam_page_begin(in, ctx->action, &page, err);
    if (rc == 0)
        rc = store_iam_attached(ctx->tx, k->kind, row.name, page.after, page.limit, arns, &more, err);
    page_free(&page);
    iam_entity_row_clear(&row);
    json_t *list = json_array();
    json_object_set_new(out, "AttachedPolicies", list);
    size_t i;
    json_t *arn;
    json_array_foreach(arns, i, arn) {
        struct iam_policy_row p;
        if (rc == 0 && store_iam_policy_get(ctx->tx, json_string_value(arn), &p, err) > 0 &&
            strncmp(p.path, prefix, strlen(prefix)) == 0)
            json_array_append_new(list, json_pack("{s:s, s:s}", "PolicyName", p.name, "PolicyArn", p.arn));
    }
    if (rc == 0)
        iam_page_end(out, ctx->action, more, json_string_value(json_array_get(arns, json_array_size(arns) - 1)));
    return rc;
}

API_ACTION(iam_attach_user_policy) { return attach(ctx, &IAM_USER, in, err); }
API_ACTION(iam_detach_user_policy) { return detach(ctx, &IAM_USER, in, err); }
API_ACTION(iam_list_attached_user_policies) { return list_attached(ctx, &IAM_USER, in, out, err); }
API_ACTION(iam_attach_role_policy) { return attach(ctx, &IAM_ROLE, in, err); }
API_ACTION(iam_detach_role_policy) { return detach(ctx, &IAM_ROLE, in, err); }
API_ACTION(iam_list_attached_role_policies) { return list_attached(ctx, &IAM_ROLE, in, out, err); }
API_ACTION(iam_attach_group_policy) { return attach(ctx, &IAM_GROUP, in, err); }
API_ACTION(iam_detach_group_policy) { return detach(ctx, &IAM_GROUP, in, err); }
API_ACTION(iam_list_attached_group_policies) { return list_attached(ctx, &IAM_GROUP, in, out, err); }

/* Which list of ListEntitiesForPolicy a kind goes to, and its filter name. */
static const struct {
    const struct iam_kind *kind;
    const char *list;
    const char *filter;
} entity_lists[] = {
    {&IAM_USER, "PolicyUsers", "User"},
    {&IAM_ROLE, "PolicyRoles", "Role"},
    {&IAM_GROUP, "PolicyGroups", "Group"},
};

API_ACTION(iam_list_entities_for_policy)
{
    const char *filter = json_string_value(json_object_get(in, "EntityFilter"));
    const char *prefix = json_string_value(json_object_get(in, "PathPrefix")) ?: "/";
    if (json_object_get(in, "PolicyUsageFilter"))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth's IAM does not support PolicyUsageFilter yet.");
    struct iam_policy_row p;
    _cleanup_json_ json_t *pairs = json_array();
    if (policy_must_get(ctx, json_string_value(json_object_get(in, "PolicyArn")), &p, err) < 0 ||
        store_iam_policy_entities(ctx->tx, p.arn, pairs, err) < 0)
        return -1;
    for (size_t i = 0; i < ELEMENTSOF(entity_lists); i++)
        json_object_set_new(out, entity_lists[i].list, json_array());
    size_t i;
    json_t *pair;
    json_array_foreach(pairs, i, pair) {
        const char *kind = json_string_value(json_array_get(pair, 0));
        for (size_t k = 0; k < ELEMENTSOF(entity_lists); k++) {
            const struct iam_kind *ik = entity_lists[k].kind;
            struct iam_entity_row row = {0};
            if (strcmp(kind, ik->kind) != 0 || (filter && strcmp(filter, entity_lists[k].filter) != 0))
                continue;
            if (iam_entity_must_get(ctx, ik, json_string_value(json_array_get(pair, 1)), &row, err) < 0)
                return -1;
            char name_key[16], id_key[16];
            snprintf(name_key, sizeof(name_key), "%sName", ik->title);
            snprintf(id_key, sizeof(id_key), "%sId", ik->title);
            if (strncmp(row.path, prefix, strlen(prefix)) == 0)
                json_array_append_new(json_object_get(out, entity_lists[k].list),
                                      json_pack("{s:s, s:s}", name_key, row.name, id_key, row.id));
            iam_entity_row_clear(&row);
        }
    }
    json_object_set_new(out, "IsTruncated", json_false());
    return 0;
}
