/* service_load_balancers.h - an ECS service's loadBalancers: each task of
 * the service is a target of the listed target groups while it runs; asked
 * to stop, it is deregistered and the agent hears of the stop only once
 * the targets have drained (the group's deregistration delay), so the
 * requests in flight finish. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "server/http/api.h"

struct task_row;

/* CreateService's (or UpdateService's) loadBalancers against the task
 * definition: at most 5, each a target group of this region that a load
 * balancer forwards to, whose target type fits the network mode (ip for
 * awsvpc, instance otherwise), and a container with that port mapped.
 * An advancedConfiguration (blue/green) names an alternate group of the
 * same target type and a production (and optional test) listener rule
 * forwarding to both groups.  Classic load balancers are refused.  -1
 * with InvalidParameterException. */
int service_load_balancers_check(struct op_ctx *ctx, json_t *lbs, json_t *taskdef, struct error *err);
/* deploymentConfiguration's own members: strategy ROLLING, BLUE_GREEN,
 * LINEAR or CANARY; linearConfiguration.stepPercent a multiple of 0.1
 * from 3 to 100, canaryConfiguration.canaryPercent from 0.1 to 100, their
 * bake times and bakeTimeInMinutes 0-1440; lifecycleHooks
 * (deploy_hooks_check).  -1 with InvalidParameterException. */
int service_deployment_strategy_check(json_t *config, struct error *err);
/* A stepPercent or canaryPercent (a multiple of 0.1) in tenths of a percent. */
int service_deployment_permille(json_t *percent);
/* The service (svc: its request or document) against its whole
 * deploymentConfiguration: BLUE_GREEN, LINEAR and CANARY (BLUE_GREEN with
 * bakeTimeInMinutes) need the ECS controller, a REPLICA service without Service Connect, and an
 * advancedConfiguration in every loadBalancers entry; those are refused
 * with any other strategy. */
int service_blue_green_check(json_t *svc, json_t *config, struct error *err);
/* The target group of loadBalancers[i] that the tasks of deployment_id
 * register in: for a blue/green pair, the group the scheduler gave the
 * deployment (berth.bgTargets), else the one production traffic goes to
 * (berth.bgLive), else targetGroupArn.  Borrowed from svc_doc. */
const char *service_load_balancers_group(json_t *svc_doc, const char *deployment_id, size_t i);

/* Bring task's registrations in line with its state, in the caller's
 * transaction (before it is stored): registered while RUNNING and not asked
 * to stop; deregistered otherwise, and when that starts a drain, the task
 * keeps berth.stopAfter until it ends. */
int service_load_balancers_sync(struct op_ctx *ctx, struct task_row *task, struct error *err);
/* Whether task is draining at now (asked to stop, targets not yet drained). */
bool service_load_balancers_draining(const struct task_row *task, usec_t now);
/* The scheduler: a task whose drain has ended, and whose load balancers'
 * HAProxy no longer lists it, is handed to its agent to stop (while one
 * still does, its drain is drawn out, at most DRAIN_PROXY_WAIT_SECONDS):
 * 1 when the task was written (a write the round must commit), 0 when
 * there was nothing to do. */
int service_load_balancers_release(struct op_ctx *ctx, int64_t task_id, struct error *err);
/* The scheduler: whether a target of task (by row id) is unhealthy in its
 * load balancer's health checks now; the group's ARN into ret_tg. */
int service_load_balancers_unhealthy(struct op_ctx *ctx, int64_t task_id, char *ret_tg, size_t cap, bool *ret,
                                     struct error *err);
/* The scheduler: whether every target of task (by row id) passes its load
 * balancer's health checks (or has them disabled); false while the task is
 * not registered yet. */
int service_load_balancers_healthy(struct op_ctx *ctx, int64_t task_id, bool *ret, struct error *err);
/* The scheduler, for blue/green: whether every target of task is
 * reported healthy by the proxy that serves it (health checks disabled:
 * "unavailable").  Unlike service_load_balancers_healthy(), a target the
 * proxy has not reported on yet (DescribeTargetHealth's "initial") or a
 * group no proxy serves does not pass. */
int service_load_balancers_serving(struct op_ctx *ctx, int64_t task_id, bool *ret, struct error *err);
