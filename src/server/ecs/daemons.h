/* daemons.h - ECS's Daemon API: CreateDaemon, UpdateDaemon, DeleteDaemon,
 * DescribeDaemon, ListDaemons, DescribeDaemonDeployments,
 * ListDaemonDeployments and DescribeDaemonRevisions.
 *
 * A daemon runs one task of a daemon task definition on every container
 * instance of its capacity providers in its cluster.  ECS offers them only
 * on Managed Instances capacity providers; berth uses its own providers
 * (the agents started with --capacity-provider NAME).  The API records the
 * daemon, its revisions and deployments as store documents; the scheduler's
 * daemon pass (sched/daemon_round.c) runs, rolls and stops the tasks. */
#pragma once

#include "server/http/api.h"

/* Store document kinds, keyed "<cluster>/<daemon>" and, for revisions and
 * deployments, "<cluster>/<daemon>/<32-hex id>". */
#define DAEMON_KIND "ecs-daemon"
#define DAEMON_KIND_REVISION "ecs-daemon-revision"
#define DAEMON_KIND_DEPLOYMENT "ecs-daemon-deployment"

/* A revision's tasks carry startedBy "ecs-daemon/<revision id>". */
#define DAEMON_STARTED_BY_PREFIX "ecs-daemon/"

/* drainPercent when a deployment configuration does not give one. */
#define DAEMON_DEFAULT_DRAIN_PERCENT 25.0

/* A deployment that ended: its alarms and circuitBreaker still
 * MONITORING become MONITORING_COMPLETE (TRIGGERED and DISABLED stay). */
void daemons_monitors_done(json_t *deployment);

struct arn;
/* 0 when the daemon an ARN names exists, else -1 and err (tagging). */
int daemons_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err);

API_ACTION(action_create_daemon);
API_ACTION(action_update_daemon);
API_ACTION(action_delete_daemon);
API_ACTION(action_describe_daemon);
API_ACTION(action_list_daemons);
API_ACTION(action_describe_daemon_deployments);
API_ACTION(action_list_daemon_deployments);
API_ACTION(action_describe_daemon_revisions);
