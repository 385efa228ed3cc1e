/* iam_actions.h - the IAM service's handlers, by the file that has them:
 * identities (iam_entities.c), access keys (iam_keys.c), inline policies
 * (iam_inline.c), managed policies and attachments (iam_managed.c).
 * iam_service.c lists them in its action table. */
#pragma once

#include "server/http/api.h"

API_ACTION(iam_create_user);
API_ACTION(iam_get_user);
API_ACTION(iam_list_users);
API_ACTION(iam_delete_user);
API_ACTION(iam_create_role);
API_ACTION(iam_get_role);
API_ACTION(iam_list_roles);
API_ACTION(iam_delete_role);
API_ACTION(iam_update_assume_role_policy);
API_ACTION(iam_update_role);
API_ACTION(iam_update_role_description);
API_ACTION(iam_create_group);
API_ACTION(iam_get_group);
API_ACTION(iam_list_groups);
API_ACTION(iam_delete_group);
API_ACTION(iam_add_user_to_group);
API_ACTION(iam_remove_user_from_group);
API_ACTION(iam_list_groups_for_user);

API_ACTION(iam_create_access_key);
API_ACTION(iam_delete_access_key);
API_ACTION(iam_list_access_keys);
API_ACTION(iam_update_access_key);

API_ACTION(iam_put_user_policy);
API_ACTION(iam_get_user_policy);
API_ACTION(iam_delete_user_policy);
API_ACTION(iam_list_user_policies);
API_ACTION(iam_put_role_policy);
API_ACTION(iam_get_role_policy);
API_ACTION(iam_delete_role_policy);
API_ACTION(iam_list_role_policies);
API_ACTION(iam_put_group_policy);
API_ACTION(iam_get_group_policy);
API_ACTION(iam_delete_group_policy);
API_ACTION(iam_list_group_policies);

API_ACTION(iam_create_policy);
API_ACTION(iam_get_policy);
API_ACTION(iam_delete_policy);
API_ACTION(iam_list_policies);
API_ACTION(iam_create_policy_version);
API_ACTION(iam_get_policy_version);
API_ACTION(iam_list_policy_versions);
API_ACTION(iam_set_default_policy_version);
API_ACTION(iam_delete_policy_version);
API_ACTION(iam_attach_user_policy);
API_ACTION(iam_detach_user_policy);
API_ACTION(iam_list_attached_user_policies);
API_ACTION(iam_attach_role_policy);
API_ACTION(iam_detach_role_policy);
API_ACTION(iam_list_attached_role_policies);
API_ACTION(iam_attach_group_policy);
API_ACTION(iam_detach_group_policy);
API_ACTION(iam_list_attached_group_policies);
API_ACTION(iam_list_entities_for_policy);
