/* capacity_providers.h - ECS capacity providers: Create, Update, Delete,
 * DescribeCapacityProviders, the check PutClusterCapacityProviders makes,
 * and how a capacityProviderStrategy splits a RunTask's tasks.
 *
 * An auto scaling group provider is a pool of berth agents: those started
 * with `--capacity-provider NAME` report the attribute
 * CAPACITY_PROVIDER_ATTRIBUTE = NAME, which placement filters on. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"

#define CAPACITY_PROVIDER_ATTRIBUTE "berth.capacity-provider"
#define CAPACITY_STRATEGY_MAX 20

struct cluster_row;
struct arn;

/* Whether a provider (name or ARN) is FARGATE or FARGATE_SPOT: built in,
 * both backed by the agents started with --fargate. */
bool capacity_provider_is_fargate(const char *name);
/* Whether strategy runs on the built-in FARGATE or FARGATE_SPOT provider
 * (the agents started with --fargate): its tasks are then of the FARGATE
 * launch type. */
bool capacity_strategy_is_fargate(json_t *strategy);
/* Each name in `names` (names or ARNs) is a capacity provider of the
 * region or one of the built-in FARGATE and FARGATE_SPOT. */
int capacity_providers_check(struct op_ctx *ctx, json_t *names, struct error *err);
/* Validate strategy (base, weight, providers associated with the
 * cluster) and split count tasks over it as ECS does: each base first,
 * then by weight.  ret_names[i] (borrowed from strategy) gets
 * ret_counts[i] tasks; *ret_n entries. */
int capacity_strategy_split(const struct cluster_row *cluster, json_t *strategy, int count, const char **ret_names,
                            int *ret_counts, size_t *ret_n, struct error *err);

/* A service's strategy (as capacity_service_strategy made it) has have[i]
 * live tasks on its i-th provider: how many of count more go to each
 * (ret_add[i]), so that all together follow the strategy's split.  -1 for
 * an empty or oversized strategy. */
int capacity_strategy_top_up(json_t *strategy, const int *have, int count, int *ret_add);
/* The strategy a service runs on (new reference; NULL for none): the
 * request's capacityProviderStrategy, else the cluster's default when no
 * launchType is given; validated (as capacity_strategy_split), with base
 * and weight filled in.  Refused with a launchType, or for DAEMON. */
int capacity_service_strategy(const struct cluster_row *cluster, json_t *in, bool daemon, json_t **ret_strategy,
                              struct error *err);

/* 0 when the account's capacity provider that arn names exists (for
 * TagResource and its kin), else -1 with ResourceNotFoundException. */
int capacity_providers_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err);

API_ACTION(action_create_capacity_provider);
API_ACTION(action_update_capacity_provider);
API_ACTION(action_delete_capacity_provider);
API_ACTION(action_describe_capacity_providers);
