/* iam_authz.c - what IAM's and STS's actions ask of IAM itself (see
 * iam_authz.h), as the Service Authorization Reference lists them: the
 * user, role, group, policy or instance profile acted on, iam:PolicyARN
 * for attaching, iam:PermissionsBoundary, iam:AWSServiceName, tags in the
 * request (IAM spells them {Key, Value}).  Names are given without a
 * path unless the request gives one (creating): berth's IAM keeps paths
 * "/" unless told otherwise. */
#include "server/iam/iam_authz.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/api.h"
#include "server/store/store_iam.h"

#define IAM_ARN_MAX 1400

/* arn:aws:iam::ACCOUNT:<type>/<path><name>; path from member "Path" when
 * with_path (creating), "/" otherwise. */
static void iam_arn(const struct op_ctx *ctx, json_t *in, const char *type, const char *name, bool with_path, char *buf,
                    size_t cap)
{
    const char *path = with_path ? json_string_value(json_object_get(in, "Path")) : NULL;
    if (!path || !*path)
        path = "/";
    snprintf(buf, cap, "arn:aws:iam::%s:%s%s%s", ctx->account, type, path, name);
}

/* The resource of type named by member (absent: "*").  A user, role or
 * group that exists is named by its own ARN, path included, so a policy
 * on users under /team/ covers them. */
static int named(struct op_ctx *ctx, json_t *in, struct authz_req *req, const char *member, const char *type,
                 bool with_path, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, member));
    char arn[IAM_ARN_MAX];
    if (!name)
        return 0;
    iam_arn(ctx, in, type, name, with_path, arn, sizeof(arn));
    struct iam_entity_row row = {0};
    int found = with_path || !ctx->tx ? 0 : store_iam_entity_get(ctx->tx, type, name, &row, err);
    if (found < 0)
        return -1;
    if (found > 0)
        snprintf(arn, sizeof(arn), "%s", row.arn);
    iam_entity_row_clear(&row);
    authz_resource(req, arn);
    return 0;
}

/* A user's own keys, password and MFA: UserName, else the caller when the
 * caller is a user (as IAM does). */
static int res_user(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    if (json_is_string(json_object_get(in, "UserName")))
        return named(ctx, in, req, "UserName", "user", false, err);
    if (strstr(ctx->caller, ":user/"))
        authz_resource(req, ctx->caller);
    return 0;
}

#define RES_NAMED(fn, member, type, with_path)                                                                         \
    static int fn(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)                            \
    {                                                                                                                  \
        return named(ctx, in, req, member, type, with_path, err);                                                      \
    }

RES_NAMED(res_new_user, "UserName", "user", true)
RES_NAMED(res_role, "RoleName", "role", false)
RES_NAMED(res_new_role, "RoleName", "role", true)
RES_NAMED(res_group, "GroupName", "group", false)
RES_NAMED(res_new_group, "GroupName", "group", true)
RES_NAMED(res_new_policy, "PolicyName", "policy", true)
RES_NAMED(res_instance_profile, "InstanceProfileName", "instance-profile", false)
RES_NAMED(res_new_instance_profile, "InstanceProfileName", "instance-profile", true)

/* A member that is an ARN already (PolicyArn, RoleArn). */
static int arn_member(json_t *in, struct authz_req *req, const char *member)
{
    const char *arn = json_string_value(json_object_get(in, member));
    if (arn)
        authz_resource(req, arn);
    return 0;
}

static int res_policy(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return arn_member(in, req, "PolicyArn");
}

static int res_role_arn(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return arn_member(in, req, "RoleArn");
}

/* A service-linked role's name is the service's (AWSServiceRoleForECS):
 * any role under aws-service-role/, with iam:AWSServiceName naming it. */
static int res_service_linked_role(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    char arn[IAM_ARN_MAX];
    snprintf(arn, sizeof(arn), "arn:aws:iam::%s:role/aws-service-role/*", ctx->account);
    authz_resource(req, arn);
    return 0;
}

static int res_federated_user(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "Name"));
    char arn[IAM_ARN_MAX];
    snprintf(arn, sizeof(arn), "arn:aws:sts::%s:federated-user/%s", ctx->account, name ? name : "*");
    authz_resource(req, arn);
    return 0;
}

/* ---- keys ---- */

static int key_policy_arn(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    const char *arn = json_string_value(json_object_get(in, "PolicyArn"));
    if (arn)
        authz_key(req, "iam:PolicyARN", arn);
    return 0;
}

static int key_boundary(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    const char *arn = json_string_value(json_object_get(in, "PermissionsBoundary"));
    if (arn)
        authz_key(req, "iam:PermissionsBoundary", arn);
    return 0;
}

static int keys_create(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    key_boundary(ctx, in, req, err);
    return authz_keys_keyed_tags(ctx, in, req, err);
}

static int key_service_name(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "AWSServiceName"));
    if (name)
        authz_key(req, "iam:AWSServiceName", name);
    return 0;
}

static int keys_assume_role(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    const char *session = json_string_value(json_object_get(in, "RoleSessionName"));
    if (session)
        authz_key(req, "sts:RoleSessionName", session);
    return authz_keys_keyed_tags(ctx, in, req, err);
}

/* An IAM action named as its API action. */
#define IAM(name, res, keys)                                                                                           \
    {                                                                                                                  \
#name, "iam:" #name, res, keys, false                                                                          \
    }

/* Sorted by name. */
static const struct authz_rule iam_rules[] = {
    IAM(AddRoleToInstanceProfile, res_instance_profile, NULL),
    IAM(AddUserToGroup, res_group, NULL),
    IAM(AttachGroupPolicy, res_group, key_policy_arn),
    IAM(AttachRolePolicy, res_role, key_policy_arn),
    IAM(AttachUserPolicy, res_user, key_policy_arn),
    IAM(ChangePassword, res_user, NULL),
    IAM(CreateAccessKey, res_user, NULL),
    IAM(CreateGroup, res_new_group, NULL),
    IAM(CreateInstanceProfile, res_new_instance_profile, authz_keys_keyed_tags),
    IAM(CreateLoginProfile, res_user, NULL),
    IAM(CreatePolicy, res_new_policy, authz_keys_keyed_tags),
    IAM(CreatePolicyVersion, res_policy, NULL),
    IAM(CreateRole, res_new_role, keys_create),
    IAM(CreateServiceLinkedRole, res_service_linked_role, key_service_name),
    IAM(CreateUser, res_new_user, keys_create),
    IAM(DeleteAccessKey, res_user, NULL),
    IAM(DeleteGroup, res_group, NULL),
    IAM(DeleteGroupPolicy, res_group, NULL),
    IAM(DeleteInstanceProfile, res_instance_profile, NULL),
    IAM(DeleteLoginProfile, res_user, NULL),
    IAM(DeletePolicy, res_policy, NULL),
    IAM(DeletePolicyVersion, res_policy, NULL),
    IAM(DeleteRole, res_role, NULL),
    IAM(DeleteRolePermissionsBoundary, res_role, NULL),
    IAM(DeleteRolePolicy, res_role, NULL),
    IAM(DeleteServiceLinkedRole, res_role, NULL),
    IAM(DeleteUser, res_user, NULL),
    IAM(DeleteUserPermissionsBoundary, res_user, NULL),
    IAM(DeleteUserPolicy, res_user, NULL),
    IAM(DetachGroupPolicy, res_group, key_policy_arn),
    IAM(DetachRolePolicy, res_role, key_policy_arn),
    IAM(DetachUserPolicy, res_user, key_policy_arn),
    IAM(GetAccessKeyLastUsed, res_user, NULL),
    IAM(GetAccountAuthorizationDetails, NULL, NULL),
    IAM(GetAccountSummary, NULL, NULL),
    IAM(GetContextKeysForCustomPolicy, NULL, NULL),
    IAM(GetContextKeysForPrincipalPolicy, NULL, NULL),
    IAM(GetGroup, res_group, NULL),
    IAM(GetGroupPolicy, res_group, NULL),
    IAM(GetInstanceProfile, res_instance_profile, NULL),
    IAM(GetLoginProfile, res_user, NULL),
    IAM(GetPolicy, res_policy, NULL),
    IAM(GetPolicyVersion, res_policy, NULL),
    IAM(GetRole, res_role, NULL),
    IAM(GetRolePolicy, res_role, NULL),
    IAM(GetUser, res_user, NULL),
    IAM(GetUserPolicy, res_user, NULL),
    IAM(ListAccessKeys, res_user, NULL),
    IAM(ListAttachedGroupPolicies, res_group, NULL),
    IAM(ListAttachedRolePolicies, res_role, NULL),
    IAM(ListAttachedUserPolicies, res_user, NULL),
    IAM(ListEntitiesForPolicy, res_policy, NULL),
    IAM(ListGroupPolicies, res_group, NULL),
    IAM(ListGroups, NULL, NULL),
    IAM(ListGroupsForUser, res_user, NULL),
    IAM(ListInstanceProfileTags, res_instance_profile, NULL),
    IAM(ListInstanceProfiles, NULL, NULL),
    IAM(ListInstanceProfilesForRole, res_role, NULL),
    IAM(ListPolicies, NULL, NULL),
    IAM(ListPolicyTags, res_policy, NULL),
    IAM(ListPolicyVersions, res_policy, NULL),
    IAM(ListRolePolicies, res_role, NULL),
    IAM(ListRoleTags, res_role, NULL),
    IAM(ListRoles, NULL, NULL),
    IAM(ListUserPolicies, res_user, NULL),
    IAM(ListUserTags, res_user, NULL),
    IAM(ListUsers, NULL, NULL),
    IAM(PutGroupPolicy, res_group, NULL),
    IAM(PutRolePermissionsBoundary, res_role, key_boundary),
    IAM(PutRolePolicy, res_role, NULL),
    IAM(PutUserPermissionsBoundary, res_user, key_boundary),
    IAM(PutUserPolicy, res_user, NULL),
    IAM(RemoveRoleFromInstanceProfile, res_instance_profile, NULL),
    IAM(RemoveUserFromGroup, res_group, NULL),
    IAM(SetDefaultPolicyVersion, res_policy, NULL),
    IAM(SimulateCustomPolicy, NULL, NULL),
    IAM(SimulatePrincipalPolicy, NULL, NULL),
    IAM(TagInstanceProfile, res_instance_profile, authz_keys_keyed_tags),
    IAM(TagPolicy, res_policy, authz_keys_keyed_tags),
    IAM(TagRole, res_role, authz_keys_keyed_tags),
    IAM(TagUser, res_user, authz_keys_keyed_tags),
    IAM(UntagInstanceProfile, res_instance_profile, authz_keys_tag_keys),
    IAM(UntagPolicy, res_policy, authz_keys_tag_keys),
    IAM(UntagRole, res_role, authz_keys_tag_keys),
    IAM(UntagUser, res_user, authz_keys_tag_keys),
    IAM(UpdateAccessKey, res_user, NULL),
    IAM(UpdateAssumeRolePolicy, res_role, NULL),
    IAM(UpdateGroup, res_group, NULL),
    IAM(UpdateLoginProfile, res_user, NULL),
    IAM(UpdateRole, res_role, NULL),
    IAM(UpdateRoleDescription, res_role, NULL),
    IAM(UpdateUser, res_user, NULL),
};

/* STS: GetCallerIdentity and GetSessionToken need no permission (as
 * AWS: a user may always ask who it is and for a session of itself, with
 * no more rights than its own); the web identity
 * and SAML exchanges come unsigned, their handlers check the token. */
static const struct authz_rule sts_rules[] = {
    {"AssumeRole", "sts:AssumeRole", res_role_arn, keys_assume_role, false},
    {"AssumeRoleWithSAML", "sts:AssumeRoleWithSAML", res_role_arn, keys_assume_role, true},
    {"AssumeRoleWithWebIdentity", "sts:AssumeRoleWithWebIdentity", res_role_arn, keys_assume_role, true},
    {"DecodeAuthorizationMessage", "sts:DecodeAuthorizationMessage", NULL, NULL, false},
    {"GetAccessKeyInfo", "sts:GetAccessKeyInfo", NULL, NULL, false},
    {"GetCallerIdentity", NULL, NULL, NULL, false},
    {"GetFederationToken", "sts:GetFederationToken", res_federated_user, authz_keys_keyed_tags, false},
    {"GetSessionToken", NULL, NULL, NULL, false},
};

const struct authz_rule *iam_authz_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(iam_rules);
    return iam_rules;
}

const struct authz_rule *sts_authz_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(sts_rules);
    return sts_rules;
}
