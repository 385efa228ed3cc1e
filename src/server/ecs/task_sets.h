/* task_sets.h - ECS task sets: the deployments of a service whose
 * deploymentController is EXTERNAL, made and scaled by the caller
 * (CreateTaskSet, UpdateTaskSet, DeleteTaskSet, DescribeTaskSets,
 * UpdateServicePrimaryTaskSet).  A task set lives in its service's document
 * ("taskSets"); the service scheduler (sched/taskset_round.c) keeps each at
 * its computedDesiredCount. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"
#include "server/store/store_services.h"

/* Most task sets one service holds (DRAINING ones included). */
#define TASK_SETS_MAX 10

/* Whether the service document's deploymentController is EXTERNAL. */
bool task_sets_external(json_t *service_doc);

/* ECS's computedDesiredCount: scale.value percent of desired, rounded up. */
json_int_t task_sets_computed_count(json_int_t desired, json_t *scale);

/* CreateService with the EXTERNAL controller: refuses (ERR_INVALID) what
 * ECS takes from the task sets instead (taskDefinition, loadBalancers,
 * networkConfiguration, ...) and the DAEMON strategy. */
int task_sets_check_create_service(json_t *in, struct error *err);

/* UpdateService: a change of deploymentController is refused, and for an
 * EXTERNAL service what belongs to its task sets. */
int task_sets_check_update_service(json_t *service_doc, json_t *in, struct error *err);

/* Fill the task sets of service view j (a copy of row's document) with
 * their running and pending counts, dropping berth's private members, and
 * add those counts to *running and *pending. */
int task_sets_view(struct op_ctx *ctx, const struct service_row *row, json_t *j, json_int_t *running,
                   json_int_t *pending, struct error *err);

API_ACTION(action_create_task_set);
API_ACTION(action_update_task_set);
API_ACTION(action_delete_task_set);
API_ACTION(action_describe_task_sets);
API_ACTION(action_update_service_primary_task_set);
