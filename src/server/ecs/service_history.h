/* service_history.h - a service's deployments and revisions as ECS keeps
 * them (ServiceDeployment, ServiceRevision), after the service's own
 * `deployments` list has moved on: ListServiceDeployments,
 * DescribeServiceDeployments, DescribeServiceRevisions and
 * StopServiceDeployment (ROLLBACK).
 *
 * The service document stays the scheduler's truth; the history follows
 * it.  Whoever writes a service calls service_history_sync() after the
 * write, and the scheduler's circuit breaker names a rollback with
 * service_history_rollback(). */
#pragma once

#include <jansson.h>

#include "server/http/api.h"
#include "server/store/store_services.h"

/* Bring the history of the service in row (stored: row->id set) in step
 * with its document: a record for each new deployment (and its target
 * revision), each record's status from its deployment's rollout, and
 * deployments superseded or gone STOPPED. */
int service_history_sync(struct op_ctx *ctx, const struct service_row *row, struct error *err);
/* The deployment failed_id is being rolled back by the new deployment
 * new_id to the revision good_id deployed: its record becomes
 * ROLLBACK_IN_PROGRESS, driven by new_id from now on. */
int service_history_rollback(struct op_ctx *ctx, const struct service_row *row, const char *failed_id,
                             const char *new_id, const char *good_id, const char *reason, struct error *err);

/* Roll the service's primary deployment failed_id back to the last one
 * that completed, as the circuit breaker does, because the user asked
 * through the action `who` (StopServiceDeployment,
 * ContinueServiceDeployment); stores the service.  ConflictException when
 * there is nothing to go back to. */
int service_history_roll_back(struct op_ctx *ctx, struct service_row *row, const char *failed_id, const char *who,
                              struct error *err);

API_ACTION(action_list_service_deployments);
API_ACTION(action_describe_service_deployments);
API_ACTION(action_describe_service_revisions);
API_ACTION(action_stop_service_deployment);
