/* agent_identity.h - what an agent signing as its container instance may
 * do: act for that instance and its tasks, and nothing else.
 *
 * An instance principal is a caller whose access key was issued to a
 * container instance at registration (its principal ARN is the instance's
 * ARN).  Other callers (root, IAM users and roles) pass these checks: what
 * they may do is their policies' business, decided by the dispatcher. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"

struct cluster_row;
struct task_row;

/* Whether principal is a container instance's ARN. */
bool agent_identity_is_instance(const char *principal);

/* 0 if the caller may act for container instance `ref` (an ARN or id, as
 * the request gave it) of cluster: not an instance principal, or that very
 * instance.  Else -1 with AccessDeniedException, after one log line naming
 * the caller, the action and the target. */
int agent_identity_allow_instance(struct op_ctx *ctx, const struct cluster_row *cluster, const char *ref,
                                  struct error *err);

/* The same for a task: an instance principal may report only on the tasks
 * placed on its own instance. */
int agent_identity_allow_task(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *task,
                              struct error *err);

/* For the agent calls on a task's behalf (its role credentials, its scale-in
 * protection): in's "task" (and "cluster") resolved for a caller that is a
 * container instance running that task, or root; any other principal, even
 * one allowed ecs:Poll, gets AccessDeniedException naming what (e.g. "task
 * credentials"). */
int agent_identity_resolve_own_task(struct op_ctx *ctx, json_t *in, const char *what, struct cluster_row *ret_cluster,
                                    struct task_row *ret_task, struct error *err);

/* BerthAgent.PutLogEvents by an instance principal: only to a stream of one
 * of its own tasks, as its agent names them ("<prefix>/<container>/<task-id>"
 * or "<task-id>-<index>"). */
int agent_identity_allow_log_stream(struct op_ctx *ctx, const char *stream, struct error *err);

/* RegisterContainerInstance by an instance principal: it may only
 * re-register itself, naming its own containerInstanceArn. */
int agent_identity_allow_register(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *in, struct error *err);
