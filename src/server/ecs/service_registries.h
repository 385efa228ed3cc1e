/* service_registries.h - an ECS service's serviceRegistries: each task of
 * the service is a Cloud Map instance while it runs (and is healthy, when
 * its task definition has a health check). */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

struct task_row;

/* CreateService's serviceRegistries against the task definition: at most
 * one, its registryArn a Cloud Map service in this region, containerName
 * a container of taskdef with containerPort among its port mappings.
 * -1 with InvalidParameterException. */
int service_registries_check(struct op_ctx *ctx, json_t *registries, json_t *taskdef, struct error *err);

/* Bring task's Cloud Map registrations in line with its state, in the
 * caller's transaction: registered (instance id = the task id) while it
 * is RUNNING, not asked to stop and not waiting on a health check;
 * deregistered otherwise.  A registry deleted meanwhile, or whose records
 * need attributes the task cannot give, is skipped. */
int service_registries_sync(struct op_ctx *ctx, struct task_row *task, struct error *err);

/* UpdateService's serviceRegistries (given) for the service document doc
 * whose tasks run taskdef: checked as CreateService's; the registries it
 * replaces are kept in doc's berth.retiredRegistries so that tasks still
 * registered there leave them when they stop.  1 when they changed (a new
 * deployment registers the service's tasks anew), 0 when not, -1. */
int service_registries_update(struct op_ctx *ctx, json_t *doc, json_t *given, json_t *taskdef, struct error *err);
