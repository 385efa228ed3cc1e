/* express_gateway.h - ECS Express Gateway services: Create, Update, Delete
 * and DescribeExpressGatewayService, composed of berth's own resources
 * (express_gateway.c), and the composition itself (express_compose.c). */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

/* The store document kind an Express Gateway service is kept as (keyed
 * by its ECS service ARN). */
#define EXPRESS_DOC "ecs-express"

/* The defaults ECS documents for an Express Gateway service. */
#define EXPRESS_DEFAULT_CPU "256"
#define EXPRESS_DEFAULT_MEMORY "512"
#define EXPRESS_DEFAULT_PORT 80
#define EXPRESS_DEFAULT_HEALTH_PATH "/ping"
#define EXPRESS_DEFAULT_MIN_TASKS 1
#define EXPRESS_DEFAULT_MAX_TASKS 20
#define EXPRESS_DEFAULT_METRIC "AVERAGE_CPU"
#define EXPRESS_DEFAULT_TARGET 60
/* The port of the load balancer's HTTP listener, on its own address. */
#define EXPRESS_LISTENER_PORT 80
/* The name of the one container of the task definitions it registers. */
#define EXPRESS_CONTAINER "main"

/* Run prefix's action on in (consumed; NULL is "out of memory") as the
 * caller, in the request's transaction; *ret_out (may be NULL) gets the
 * answer.  Errors of the other service that ECS has no name for become
 * InvalidParameterException, prefixed with the action. */
int express_call(struct op_ctx *ctx, const char *prefix, const char *action, json_t *in, json_t **ret_out,
                 struct error *err);
/* The target prefixes of the services an Express Gateway service is made of. */
const char *express_ecs(const struct op_ctx *ctx);
#define EXPRESS_ELB "ElasticLoadBalancingV20151201"
#define EXPRESS_AS "AnyScaleFrontendService"

/* Fill the defaults into a configuration (cpu, memory, healthCheckPath,
 * primaryContainer.containerPort, scalingTarget) and refuse what berth
 * cannot honour (InvalidParameterException). */
int express_config_check(json_t *cfg, struct error *err);
/* Register a task definition of family for the configuration; *ret_arn
 * (malloc'd) is its ARN. */
int express_register_taskdef(struct op_ctx *ctx, const char *family, json_t *cfg, char **ret_arn, struct error *err);
/* Create the load balancer, target group and listener for doc's
 * configuration; their ARNs and the endpoint go into doc.berth. */
int express_create_ingress(struct op_ctx *ctx, json_t *doc, struct error *err);
/* Register the scalable target and put the target tracking policy of
 * doc's configuration (again on update). */
int express_put_scaling(struct op_ctx *ctx, json_t *doc, struct error *err);
/* Remove what express_create_ingress and express_put_scaling made, and
 * the task definitions doc registered (what is gone already is skipped). */
int express_teardown(struct op_ctx *ctx, json_t *doc, struct error *err);

API_ACTION(action_create_express_gateway_service);
API_ACTION(action_update_express_gateway_service);
API_ACTION(action_delete_express_gateway_service);
API_ACTION(action_describe_express_gateway_service);
