/* task_role_creds.h - the task role's temporary credentials, as the
 * endpoint at 169.254.170.2 serves them to a task's containers. */
#pragma once

#include <jansson.h>

#include "agent/task/runner.h"
#include "common/error.h"

/* The body of GET /v2/credentials/<id> for task t: a new object
 * {RoleArn, AccessKeyId, SecretAccessKey, Token, Expiration (ISO 8601)},
 * from the cache while more than half an hour remains, else fetched anew
 * from the server (BerthAgent.GetTaskCredentials, roleType TASK, signed
 * with the instance's own key).  The caller sends it and frees it; it is
 * never logged.  Errors: the server's refusal (ERR_INVALID: the role is
 * missing or does not trust ecs-tasks.amazonaws.com), or ERR_IO. */
int task_role_creds_get(struct task_runner *t, json_t **ret_body, struct error *err);

/* Forget the cached credentials (the task's end). */
void task_role_creds_forget(struct task_runner *t);
