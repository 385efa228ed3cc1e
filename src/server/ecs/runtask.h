/* runtask.h - RunTask: place tasks with the placement engine. */
#pragma once

#include "server/http/api.h"
#include "server/placement/placement.h"
#include "server/store/store_clusters.h"
#include "server/ecs/task_create.h"

/* Parse placementStrategy / placementConstraints members (plus the task
 * definition's constraints) into the engine's structs; the strings stay
 * borrowed from the JSON. */
int runtask_parse_placement(json_t *strategies, json_t *constraints, json_t *taskdef,
                            struct placement_strategy *ret_strategies, size_t *ret_nstrategies,
                            struct placement_constraint *ret_constraints, size_t *ret_nconstraints, struct error *err);

/* Place and create `count` tasks of spec in cluster.  Placed tasks are
 * appended (as Task JSON) to tasks_out, unplaced ones' reasons to
 * failures_out.  Shared by RunTask and the service scheduler. */
int runtask_place(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_spec *spec, int count,
                  const struct placement_strategy *strategies, size_t nstrategies,
                  const struct placement_constraint *constraints, size_t nconstraints, json_t *tasks_out,
                  json_t *failures_out, struct error *err);
/* The same, with the placed tasks' ids (JSON strings) appended to ids_out:
 * for the schedulers, which need no answer (a service round placing 50,000
 * kept every Task document, tags read back, until its end: 42% of the
 * round went to malloc). */
int runtask_place_ids(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_spec *spec, int count,
                      const struct placement_strategy *strategies, size_t nstrategies,
                      const struct placement_constraint *constraints, size_t nconstraints, json_t *ids_out,
                      json_t *failures_out, struct error *err);

API_ACTION(action_run_task);
