/* role_session.h - temporary credentials ("ASIA..." keys with a session
 * token and an expiry) for a principal: what STS's AssumeRole and
 * GetSessionToken return, and what the ECS server issues for a task's
 * execution role on ecs-tasks.amazonaws.com's behalf. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "common/error.h"
#include "common/timeutil.h"

struct keyring;
struct store_tx;
struct iam_entity_row;

/* New temporary credentials for principal_arn, valid `seconds` from now,
 * put in the keyring in the caller's write transaction tx.  *ret_credentials
 * is a new object {AccessKeyId, SecretAccessKey, SessionToken, Expiration
 * (epoch seconds)}: the only copy of the secret and token, which the
 * caller hands on once and never stores or logs. */
int role_session_issue(struct keyring *k, struct store_tx *tx, const char *principal_arn, usec_t now, int64_t seconds,
                       json_t **ret_credentials, struct error *err);

/* The role role_arn names in `account` if its trust policy lets AWS
 * service `service` assume it: 0 with *ret_role filled (clear it with
 * iam_entity_row_clear); -1 with ERR_NOT_FOUND (no such role) or
 * ERR_INVALID (it does not trust the service), the message naming the
 * role. */
int role_session_service_role(struct store_tx *tx, const char *account, const char *role_arn, const char *service,
                              const char *source_arn, struct iam_entity_row *ret_role, struct error *err);
