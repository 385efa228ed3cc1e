/* deploy_alarms.h - the CloudWatch alarms a service deployment watches
 * (deploymentConfiguration.alarms). */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "server/http/api.h"

/* Whether one of the alarms config names (DeploymentAlarms: alarmNames,
 * enable) is in the ALARM state in ctx's region: 1 with the first such
 * alarm's name in ret_name (cap bytes), 0 when none is or the config is not
 * enabled, -1 with err on a store error.  An alarm that does not exist is
 * not in ALARM. */
int deploy_alarms_firing(struct op_ctx *ctx, json_t *config, char *ret_name, size_t cap, struct error *err);
