/* iam_inline.c - inline policies of users, roles and groups: Put, Get,
 * Delete and List<Kind>Policies.  A document is compiled before it is
 * stored, so a policy berth could not evaluate is refused
 * (MalformedPolicyDocument), never kept and ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/iam/iam_actions.h"
#include "server/iam/iam_common.h"

/* The identity in's <Kind>Name names, which must exist. */
static int owner(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, struct iam_entity_row *row,
                 struct error *err)
{
    char key[16];
    snprintf(key, sizeof(key), "%sName", k->title);
    return iam_entity_must_get(ctx, k, json_string_value(json_object_get(in, key)), row, err);
}

static int put_policy(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "PolicyName"));
    const char *doc = json_string_value(json_object_get(in, "PolicyDocument"));
    if (iam_check_name("policyName", name, err) < 0 || iam_check_policy_document(doc, err) < 0)
        return -1;
    struct iam_entity_row row = {0};
    if (owner(ctx, k, in, &row, err) < 0)
        return -1;
    int rc = store_iam_inline_put(ctx->tx, k->kind, row.name, name, doc, err);
    iam_entity_row_clear(&row);
    return rc;
}

static int get_policy(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, json_t *out, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "PolicyName"));
    struct iam_entity_row row = {0};
    if (owner(ctx, k, in, &row, err) < 0)
        return -1;
    _cleanup_free_ char *doc = NULL;
    int r = store_iam_inline_get(ctx->tx, k->kind, row.name, name, &doc, err);
    char key[16];
    snprintf(key, sizeof(key), "%sName", k->title);
    if (r > 0) {
        json_object_set_new(out, key, json_string(row.name));
        json_object_set_new(out, "PolicyName", json_string(name));
        json_object_set_new(out, "PolicyDocument", iam_encoded_document(doc));
    } else if (r == 0) {
        error_set(err, ERR_NOT_FOUND, "The %s policy with name %.128s cannot be found.", k->kind, name);
    }
    iam_entity_row_clear(&row);
    return r > 0 ? 0 : -1;
}

static int delete_policy(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "PolicyName"));
    struct iam_entity_row row = {0};
    if (owner(ctx, k, in, &row, err) < 0)
        return -1;
    int rc = store_iam_inline_delete(ctx->tx, k->kind, row.name, name, err);
    if (rc < 0 && err->kind == ERR_NOT_FOUND)
        error_set(err, ERR_NOT_FOUND, "The %s policy with name %.128s cannot be found.", k->kind, name);
    iam_entity_row_clear(&row);
    return rc;
}

static int list_policies(struct op_ctx *ctx, const struct iam_kind *k, json_t *in, json_t *out, struct error *err)
{
    struct iam_entity_row row = {0};
    if (owner(ctx, k, in, &row, err) < 0)
        return -1;
    struct page page = {0};
    int rc = iam_page_begin(in, ctx->action, &page, err);
    json_t *names = json_array();
    json_object_set_new(out, "PolicyNames", names);
    bool more = false;
    if (rc == 0)
        rc = store_iam_inline_names(ctx->tx, k->kind, row.name, page.after, page.limit, names, &more, err);
    if (rc == 0)
        iam_page_end(out, ctx->action, more, json_string_value(json_array_get(names, json_array_size(names) - 1)));
    page_free(&page);
    iam_entity_row_clear(&row);
    return rc;
}

API_ACTION(iam_put_user_policy) { return put_policy(ctx, &IAM_USER, in, err); }
API_ACTION(iam_get_user_policy) { return get_policy(ctx, &IAM_USER, in, out, err); }
API_ACTION(iam_delete_user_policy) { return delete_policy(ctx, &IAM_USER, in, err); }
API_ACTION(iam_list_user_policies) { return list_policies(ctx, &IAM_USER, in, out, err); }
API_ACTION(iam_put_role_policy) { return put_policy(ctx, &IAM_ROLE, in, err); }
API_ACTION(iam_get_role_policy) { return get_policy(ctx, &IAM_ROLE, in, out, err); }
API_ACTION(iam_delete_role_policy) { return delete_policy(ctx, &IAM_ROLE, in, err); }
API_ACTION(iam_list_role_policies) { return list_policies(ctx, &IAM_ROLE, in, out, err); }
API_ACTION(iam_put_group_policy) { return put_policy(ctx, &IAM_GROUP, in, err); }
API_ACTION(iam_get_group_policy) { return get_policy(ctx, &IAM_GROUP, in, out, err); }
API_ACTION(iam_delete_group_policy) { return delete_policy(ctx, &IAM_GROUP, in, err); }
API_ACTION(iam_list_group_policies) { return list_policies(ctx, &IAM_GROUP, in, out, err); }
