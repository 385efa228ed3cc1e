/* task_endpoint.h - the agent's endpoint at 169.254.170.2:80 for its
 * tasks' containers: the task role's credentials
 * (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) and the task metadata endpoint
 * (ECS_CONTAINER_METADATA_URI_V4, and v3's ECS_CONTAINER_METADATA_URI). */
#pragma once

#include <stddef.h>

#include "agent/task/runner.h"
#include "common/error.h"

/* Listen on 169.254.170.2 (added to `lo`) at a port of the kernel's
 * choosing, and have network.c send 169.254.170.2:80 there.  Failing to
 * set it up is an error: the agent does not start. */
int task_endpoint_start(struct runner_env *env, struct error *err);
/* Stop serving (before the runners are freed).  NULL-safe. */
void task_endpoint_stop(struct runner_env *env);

/* New random ids for a task's URIs: t->creds_id when the task has a
 * taskRoleArn (RunTask's override or the definition's), each container's
 * meta_id.  Called once, when the runner is made. */
int task_endpoint_assign(struct task_runner *t, struct error *err);

/* The ids as task.json keeps them for a restarted agent ({credentials,
 * containers: [meta ids]}), and back. */
json_t *task_endpoint_ids_json(const struct task_runner *t);
void task_endpoint_ids_load(struct task_runner *t, json_t *ids);

/* Record the containers' addresses (and the network mode) once the task's
 * network exists, for the source check. */
void task_endpoint_note_network(struct task_runner *t);

#define TASK_ENDPOINT_ENV_MAX 4

/* The environment variables container c receives ("NAME=value"), written into
 * bufs (n of them; at least TASK_ENDPOINT_ENV_MAX are needed, else none is
 * written); returns how many. */
size_t task_endpoint_env(const struct task_runner *t, const struct runner_ctr *c, char (*bufs)[160], size_t n);
