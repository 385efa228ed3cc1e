/* ssm_authz.c - what each Parameter Store action asks of IAM (see
 * ssm_authz.h), as the Service Authorization Reference lists them: the
 * IAM action (ssm:<Action>) and the parameters it acts on,
 * arn:aws:ssm:REGION:ACCOUNT:parameter/NAME (selectors dropped), with
 * their tags (aws:ResourceTag/KEY, ssm:ResourceTag/KEY), the request's
 * tags (aws:RequestTag/KEY, aws:TagKeys) and ssm:Overwrite.
 * DescribeParameters acts on "*".  No KMS check is made for
 * WithDecryption: berth has no KMS keys. */
#include "server/ssm/ssm_authz.h"

#include <string.h>

#include "common/cleanup.h"
#include "server/http/authz.h"
#include "server/http/tags.h"
#include "server/ssm/ssm.h"

#define SSM_ARN_MAX (SSM_NAME_MAX + 128)

/* The ARN of the parameter `given` names (a name, an ARN, with or without
 * a selector); a name that does not parse is used as it is. */
static void param_arn(const struct op_ctx *ctx, const char *given, char *arn, size_t cap)
{
    struct ssm_selector sel;
    struct error ignored;
    const char *name = given ? given : "*";
    if (given && ssm_selector_parse(given, &sel, &ignored) == 0)
        name = sel.name;
    ssm_arn(ctx->region, ctx->account, name, arn, cap);
}

/* One more resource: the parameter `given` names, with its tags. */
static int add_param(struct op_ctx *ctx, struct authz_req *req, const char *given, struct error *err)
{
    char arn[SSM_ARN_MAX];
    param_arn(ctx, given, arn, sizeof(arn));
    return authz_tagged_resource(ctx, req, arn, "ssm", err);
}

static int res_name(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return add_param(ctx, req, json_string_value(json_object_get(in, "Name")), err);
}

static int res_names(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(in, "Names"), i, n) {
        if (add_param(ctx, req, json_string_value(n), err) < 0)
            return -1;
    }
    return 0;
}

/* GetParametersByPath acts on the path as a parameter ARN. */
static int res_path(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    char arn[SSM_ARN_MAX];
    const char *path = json_string_value(json_object_get(in, "Path"));
    size_t n = path ? strlen(path) : 0;
    while (n > 1 && path[n - 1] == '/')
        n--;
    char trimmed[SSM_NAME_MAX + 2];
    snprintf(trimmed, sizeof(trimmed), "%.*s", (int)n, path ? path : "*");
    ssm_arn(ctx->region, ctx->account, trimmed, arn, sizeof(arn));
    authz_resource(req, arn);
    return 0;
}

static int res_resource_id(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return add_param(ctx, req, json_string_value(json_object_get(in, "ResourceId")), err);
}

/* PutParameter: ssm:Overwrite, the request's tags, and tagging on create
 * needs ssm:AddTagsToResource as on AWS. */
static int key_put(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    authz_key(req, "ssm:Overwrite", json_is_true(json_object_get(in, "Overwrite")) ? "true" : "false");
    json_t *given = json_object_get(in, "Tags");
    if (!given)
        return 0;
    _cleanup_json_ json_t *tags = tags_from_keyed(given);
    if (!tags)
        return error_set(err, ERR_INTERNAL, "out of memory");
    authz_request_tags(req, tags);
    char arn[SSM_ARN_MAX];
    param_arn(ctx, json_string_value(json_object_get(in, "Name")), arn, sizeof(arn));
    authz_also(req, "ssm:AddTagsToResource", arn, NULL, NULL);
    return 0;
}

/* Sorted by name as ssm_service.c's table. */
static const struct authz_rule ssm_rules[] = {
    {"AddTagsToResource", "ssm:AddTagsToResource", res_resource_id, authz_keys_keyed_tags, false},
    {"DeleteParameter", "ssm:DeleteParameter", res_name, NULL, false},
    {"DeleteParameters", "ssm:DeleteParameters", res_names, NULL, false},
    {"DescribeParameters", "ssm:DescribeParameters", NULL, NULL, false},
    {"GetParameter", "ssm:GetParameter", res_name, NULL, false},
    {"GetParameterHistory", "ssm:GetParameterHistory", res_name, NULL, false},
    {"GetParameters", "ssm:GetParameters", res_names, NULL, false},
    {"GetParametersByPath", "ssm:GetParametersByPath", res_path, NULL, false},
    {"LabelParameterVersion", "ssm:LabelParameterVersion", res_name, NULL, false},
    {"ListTagsForResource", "ssm:ListTagsForResource", res_resource_id, NULL, false},
    {"PutParameter", "ssm:PutParameter", res_name, key_put, false},
    {"RemoveTagsFromResource", "ssm:RemoveTagsFromResource", res_resource_id, authz_keys_tag_keys, false},
    {"UnlabelParameterVersion", "ssm:UnlabelParameterVersion", res_name, NULL, false},
};

const struct authz_rule *ssm_authz_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(ssm_rules);
    return ssm_rules;
}
