/* task_secrets.h - a task's `secrets`, log driver secretOptions and
 * registry credentials, resolved before its images are pulled and its
 * containers start, with its execution role's credentials. */
#pragma once

#include <stddef.h>

#include "agent/task/runner.h"

/* For a task any of whose containers has `secrets`, secretOptions or a
 * Secrets Manager repositoryCredentials.credentialsParameter: ask the server for
 * the execution role's credentials (BerthAgent.GetTaskCredentials), fetch
 * each value with them (ssm:GetParameters WithDecryption, or
 * secretsmanager:GetSecretValue with the json-key, version-stage and
 * version-id an ARN's tail may name) and keep them in memory only, as
 * "NAME=value" strings in each container's secret_env, secretOptions in its
 * definition's logConfiguration.options, registry credentials in
 * registry_user/registry_pass.  0 (also when there
 * is nothing to resolve); -1 with why set to ECS's stop reason
 * ("ResourceInitializationError: unable to pull secrets or registry auth:
 * ..."), which names the secret and the cause but never a value. */
int task_secrets_resolve(struct task_runner *t, char *why, size_t cap);

/* c's `secrets` alone, again (a restart: they were forgotten once it
 * started); as task_secrets_resolve otherwise. */
int task_secrets_resolve_env(struct task_runner *t, struct runner_ctr *c, char *why, size_t cap);

/* Wipe and free a container's resolved values (once it has started, and
 * when the runner is freed). */
void task_secrets_forget(struct runner_ctr *c);
