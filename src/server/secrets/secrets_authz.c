/* secrets_authz.c - what each Secrets Manager action asks of IAM (see
 * secrets_authz.h), as the Service Authorization Reference lists them: the
 * IAM action (secretsmanager:<Action>) on the secret's ARN,
 * arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX, with its tags
 * (aws:ResourceTag/KEY, secretsmanager:ResourceTag/KEY) and the request's
 * keys: secretsmanager:SecretId, :Name, :Description, :KmsKeyId,
 * :VersionId, :VersionStage, :RecoveryWindowInDays,
 * :ForceDeleteWithoutRecovery, aws:RequestTag/KEY, aws:TagKeys.
 * ListSecrets acts on "*".  A secret not yet made (CreateSecret) or not
 * found is named by its name with "-??????" for the suffix, so that
 * policies on "secret:NAME-*" or "secret:NAME-??????" apply. */
#include "server/secrets/secrets_authz.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/authz.h"
#include "server/http/tags.h"
#include "server/secrets/secrets.h"
#include "server/store/store_secrets.h"

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* The secret `id` names, with its tags when it exists. */
static int add_secret(struct op_ctx *ctx, struct authz_req *req, const char *id, struct error *err)
{
    _cleanup_json_ json_t *doc = NULL;
    int r = id ? store_secret_find(ctx->tx, ctx->region, id, &doc, err) : 0;
    if (r < 0)
        return -1;
    char arn[SECRETS_ARN_MAX];
    if (r > 0)
        snprintf(arn, sizeof(arn), "%s", str(doc, "ARN"));
    else if (id && strncmp(id, "arn:", 4) == 0)
        snprintf(arn, sizeof(arn), "%s", id);
    else
        snprintf(arn, sizeof(arn), "arn:aws:secretsmanager:%s:%s:secret:%.512s-??????", ctx->region, ctx->account,
                 id ? id : "*");
    if (r == 0) {
        authz_resource(req, arn);
        return 0;
    }
    return authz_tagged_resource(ctx, req, arn, "secretsmanager", err);
}

static int res_secret_id(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return add_secret(ctx, req, str(in, "SecretId"), err);
}

static int res_name(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return add_secret(ctx, req, str(in, "Name"), err);
}

/* The request's own keys, by member: each present one becomes a key. */
static int key_members(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    static const struct {
        const char *member, *key;
    } members[] = {
        {"SecretId", "secretsmanager:SecretId"},       {"Name", "secretsmanager:Name"},
        {"Description", "secretsmanager:Description"}, {"KmsKeyId", "secretsmanager:KmsKeyId"},
        {"VersionId", "secretsmanager:VersionId"},     {"VersionStage", "secretsmanager:VersionStage"},
    };
    for (size_t i = 0; i < ELEMENTSOF(members); i++)
        if (str(in, members[i].member))
            authz_key(req, members[i].key, str(in, members[i].member));
    json_t *window = json_object_get(in, "RecoveryWindowInDays");
    if (window) {
        char days[24];
        snprintf(days, sizeof(days), "%lld", (long long)json_integer_value(window));
        authz_key(req, "secretsmanager:RecoveryWindowInDays", days);
    }
    if (json_object_get(in, "ForceDeleteWithoutRecovery"))
        authz_key(req, "secretsmanager:ForceDeleteWithoutRecovery",
                  json_is_true(json_object_get(in, "ForceDeleteWithoutRecovery")) ? "true" : "false");
    json_t *given = json_object_get(in, "Tags");
    if (given) {
        _cleanup_json_ json_t *tags = tags_from_keyed(given);
        if (!tags)
            return error_set(err, ERR_INTERNAL, "out of memory");
        authz_request_tags(req, tags);
    }
    if (json_object_get(in, "TagKeys"))
        authz_tag_keys(req, json_object_get(in, "TagKeys"));
    return 0;
}

/* Sorted by name as secrets_service.c's table. */
static const struct authz_rule secrets_rules[] = {
    {"CreateSecret", "secretsmanager:CreateSecret", res_name, key_members, false},
    {"DeleteSecret", "secretsmanager:DeleteSecret", res_secret_id, key_members, false},
    {"DescribeSecret", "secretsmanager:DescribeSecret", res_secret_id, key_members, false},
    {"GetSecretValue", "secretsmanager:GetSecretValue", res_secret_id, key_members, false},
    {"ListSecrets", "secretsmanager:ListSecrets", NULL, NULL, false},
    {"PutSecretValue", "secretsmanager:PutSecretValue", res_secret_id, key_members, false},
    {"RestoreSecret", "secretsmanager:RestoreSecret", res_secret_id, key_members, false},
    {"TagResource", "secretsmanager:TagResource", res_secret_id, key_members, false},
    {"UntagResource", "secretsmanager:UntagResource", res_secret_id, key_members, false},
    {"UpdateSecret", "secretsmanager:UpdateSecret", res_secret_id, key_members, false},
};

const struct authz_rule *secrets_authz_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(secrets_rules);
    return secrets_rules;
}
