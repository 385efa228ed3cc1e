/* tasks.h - what the task modules share about one task: its ARN, finding it,
 * its JSON, saving it and requesting its stop.  Creating tasks is in
 * task_create.h, the actions in task_actions.h, agents' reports in
 * task_reports.h and the agent's long-poll in agent_poll.h. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"
#include "server/store/store_clusters.h"
#include "server/store/store_tasks.h"

struct arn;

void task_arn(const struct op_ctx *ctx, const char *cluster, const char *uuid, char *buf, size_t cap);
/* The task `ref` (an ARN or a 32-hex id) names in cluster; ERR_INVALID
 * "The referenced task was not found." when there is none. */
int task_resolve(struct op_ctx *ctx, const struct cluster_row *cluster, const char *ref, struct task_row *ret_row,
                 struct error *err);
/* The cluster and task a request names (members `cluster` and `task`). */
int task_resolve_request(struct op_ctx *ctx, json_t *in, struct cluster_row *ret_cluster, struct task_row *ret_task,
                         struct error *err);
/* For tagging: 0 if the ARN names an existing task. */
int tasks_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err);
/* The Task shape clients see (new reference), tags included on request.
 * It shares members with row->doc: change neither's nested values after
 * (set and delete the answer's own members freely). */
json_t *task_json(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *row, bool with_tags,
                  struct error *err);
/* Persist row, bumping its version; agent_visible also bumps its seq so
 * that the agent's long-poll sees the change. */
int task_save(struct op_ctx *ctx, struct task_row *row, bool agent_visible, struct error *err);
/* Set doc's timestamp `key` (epoch seconds) unless it is already set. */
void task_doc_time_once(json_t *doc, const char *key, double when);
/* Set desiredStatus STOPPED with a stop code and reason (once: a task
 * already asked to stop keeps its first code and reason). */
int task_request_stop(struct op_ctx *ctx, struct task_row *row, const char *stop_code, const char *reason,
                      struct error *err);
