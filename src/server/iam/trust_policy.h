/* trust_policy.h - a role's trust policy (AssumeRolePolicyDocument): who
 * may assume the role.  Unlike identity policies (policy.h) its
 * statements name a Principal.  berth matches AWS principals (an ARN, an
 * account's root or id, "*") for callers, and Service principals for what
 * berth's server itself assumes on a service's behalf (a task's execution
 * role for ecs-tasks.amazonaws.com); federated principals are kept but
 * match nothing.  A statement's Condition is evaluated as in identity
 * policies (policy.h's operators) against the keys the asker supplies:
 * for AssumeRole aws:PrincipalArn, aws:PrincipalAccount, sts:ExternalId,
 * sts:RoleSessionName; for a service aws:SourceAccount and aws:SourceArn
 * (what AWS documents against the confused deputy). */
#pragma once

#include <stdbool.h>

#include "common/error.h"
#include "server/iam/policy.h"

/* Whether doc is a trust policy berth can evaluate: JSON, a Statement of
 * one or more {Effect, Principal, Action}; -1 with ERR_INVALID saying what
 * is wrong (the caller answers MalformedPolicyDocument). */
int trust_policy_check(const char *doc, struct error *err);

/* Whether doc lets principal_arn (a caller of account `account`) perform
 * action ("sts:AssumeRole"): an explicit Deny wins, else any Allow. */
bool trust_policy_allows(const char *doc, const char *account, const char *principal_arn, const char *action,
                         const struct policy_key *keys, size_t nkeys);

/* Whether doc lets AWS service `service` ("ecs-tasks.amazonaws.com")
 * perform action: a statement whose Principal.Service names it.  No
 * caller signs as a service: the server asks this before it issues
 * credentials on the service's behalf. */
bool trust_policy_allows_service(const char *doc, const char *service, const char *action,
                                 const struct policy_key *keys, size_t nkeys);
