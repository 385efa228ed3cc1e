/* task_protection_ep.h - the task endpoint's
 * $ECS_AGENT_URI/task-protection/v1/state, as ECS's agent serves it: GET
 * answers the task's scale-in protection, PUT {"ProtectionEnabled": bool,
 * "ExpiresInMinutes": n} sets it.  The answer is {"protection":
 * {"ExpirationDate", "ProtectionEnabled", "TaskArn"}}, or {"failure":
 * {"Arn", "Detail", "Reason"}} (200) or {"error": {"Arn", "Code",
 * "Message"}} with a 4xx/5xx status. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/task/runner.h"

/* The most a PUT body may hold. */
#define TASK_PROTECTION_EP_BODY_MAX 1024

/* A PUT body -> the server call's members ({protectionEnabled,
 * expiresInMinutes?}) in *ret_in (new reference), or NULL and the error
 * answer (status in *ret_status) in *ret_error.  Unknown members and wrong
 * types are refused as ECS's agent refuses them.  Pure: unit-tested. */
void task_protection_ep_parse(const char *task_arn, const char *body, size_t len, json_t **ret_in, json_t **ret_error,
                              unsigned *ret_status);

/* Serve one request for task t: put with its body, else a GET.  Sets
 * *ret_status and returns the body (new reference). */
json_t *task_protection_ep_serve(struct task_runner *t, bool put, const char *body, size_t len, unsigned *ret_status);
