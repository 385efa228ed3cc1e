/* iam_service.c - IAM's model, action table (sorted by name for the
 * dispatcher's binary search) and error names (see iam_service.h).
 * Operations of the model not in the table are refused by the dispatcher
 * as not implemented, never accepted and ignored. */
#include "server/iam/iam_service.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "server/http/service_model.h"
#include "server/iam/iam_actions.h"
#include "server/iam/iam_authz.h"
#include "server/iam/iam_common.h"

/* The embedded model (model.S). */
extern const char berth_model_iam[], berth_model_iam_end[];

static const struct api_action iam_actions[] = {
    {"AddUserToGroup", iam_add_user_to_group, API_WRITE},
    {"AttachGroupPolicy", iam_attach_group_policy, API_WRITE},
    {"AttachRolePolicy", iam_attach_role_policy, API_WRITE},
    {"AttachUserPolicy", iam_attach_user_policy, API_WRITE},
    {"CreateAccessKey", iam_create_access_key, API_WRITE},
    {"CreateGroup", iam_create_group, API_WRITE},
    {"CreatePolicy", iam_create_policy, API_WRITE},
    {"CreatePolicyVersion", iam_create_policy_version, API_WRITE},
    {"CreateRole", iam_create_role, API_WRITE},
    {"CreateUser", iam_create_user, API_WRITE},
    {"DeleteAccessKey", iam_delete_access_key, API_WRITE},
    {"DeleteGroup", iam_delete_group, API_WRITE},
    {"DeleteGroupPolicy", iam_delete_group_policy, API_WRITE},
    {"DeletePolicy", iam_delete_policy, API_WRITE},
    {"DeletePolicyVersion", iam_delete_policy_version, API_WRITE},
    {"DeleteRole", iam_delete_role, API_WRITE},
    {"DeleteRolePolicy", iam_delete_role_policy, API_WRITE},
    {"DeleteUser", iam_delete_user, API_WRITE},
    {"DeleteUserPolicy", iam_delete_user_policy, API_WRITE},
    {"DetachGroupPolicy", iam_detach_group_policy, API_WRITE},
    {"DetachRolePolicy", iam_detach_role_policy, API_WRITE},
    {"DetachUserPolicy", iam_detach_user_policy, API_WRITE},
    {"GetGroup", iam_get_group, API_READ},
    {"GetGroupPolicy", iam_get_group_policy, API_READ},
    {"GetPolicy", iam_get_policy, API_READ},
    {"GetPolicyVersion", iam_get_policy_version, API_READ},
    {"GetRole", iam_get_role, API_READ},
    {"GetRolePolicy", iam_get_role_policy, API_READ},
    {"GetUser", iam_get_user, API_READ},
    {"GetUserPolicy", iam_get_user_policy, API_READ},
    {"ListAccessKeys", iam_list_access_keys, API_READ},
    {"ListAttachedGroupPolicies", iam_list_attached_group_policies, API_READ},
    {"ListAttachedRolePolicies", iam_list_attached_role_policies, API_READ},
    {"ListAttachedUserPolicies", iam_list_attached_user_policies, API_READ},
    {"ListEntitiesForPolicy", iam_list_entities_for_policy, API_READ},
    {"ListGroupPolicies", iam_list_group_policies, API_READ},
    {"ListGroups", iam_list_groups, API_READ},
    {"ListGroupsForUser", iam_list_groups_for_user, API_READ},
    {"ListPolicies", iam_list_policies, API_READ},
    {"ListPolicyVersions", iam_list_policy_versions, API_READ},
    {"ListRolePolicies", iam_list_role_policies, API_READ},
    {"ListRoles", iam_list_roles, API_READ},
    {"ListUserPolicies", iam_list_user_policies, API_READ},
    {"ListUsers", iam_list_users, API_READ},
    {"PutGroupPolicy", iam_put_group_policy, API_WRITE},
    {"PutRolePolicy", iam_put_role_policy, API_WRITE},
    {"PutUserPolicy", iam_put_user_policy, API_WRITE},
    {"RemoveUserFromGroup", iam_remove_user_from_group, API_WRITE},
    {"SetDefaultPolicyVersion", iam_set_default_policy_version, API_WRITE},
    {"UpdateAccessKey", iam_update_access_key, API_WRITE},
    {"UpdateAssumeRolePolicy", iam_update_assume_role_policy, API_WRITE},
    {"UpdateRole", iam_update_role, API_WRITE},
    {"UpdateRoleDescription", iam_update_role_description, API_WRITE},
};

/* IAM's names for its own kinds; the query protocol names the rest
 * (NoSuchEntity, EntityAlreadyExists, LimitExceeded, ValidationError...). */
static const struct api_error iam_errors[] = {
    {IAM_ERR_DELETE_CONFLICT, "DeleteConflict", 409},
    {IAM_ERR_MALFORMED_POLICY, "MalformedPolicyDocument", 400},
    {IAM_ERR_INVALID_INPUT, "InvalidInput", 400},
    {ERR_INTERNAL, "ServiceFailure", 500},
};

int iam_service_new(struct iam_service **ret, struct error *err)
{
    struct iam_service *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* The size excludes the NUL model.S appends. */
    if (service_model_load(berth_model_iam, (size_t)(berth_model_iam_end - berth_model_iam) - 1, &s->model, err) < 0) {
        free(s);
        return error_prefix(err, "iam model");
    }
    *ret = s;
    return 0;
}

void iam_service_free(struct iam_service *s)
{
    if (!s)
        return;
    service_model_free(s->model);
    free(s);
}

void iam_service_set_keyring(struct iam_service *s, struct keyring *keyring) { s->keyring = keyring; }

struct api_service iam_service_api(struct iam_service *s)
{
    size_t nauthz = 0;
    const struct authz_rule *authz = iam_authz_rules(&nauthz);
    return (struct api_service){
        .target_prefix = "AWSIdentityManagementV20100508",
        .model = s->model,
        .actions = iam_actions,
        .nactions = ELEMENTSOF(iam_actions),
        .state = s,
        .protocol = API_PROTOCOL_QUERY,
        .signing_name = "iam",
        .errors = iam_errors,
        .nerrors = ELEMENTSOF(iam_errors),
        .authz = authz,
        .nauthz = nauthz,
    };
}
